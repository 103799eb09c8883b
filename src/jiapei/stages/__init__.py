"""Stage (部分) records: assembling a student's audited part into a review, deciding it
(automatically or by a regulator), and pushing approved hours to the police platform."""
