"""jiapei: provincial driver-training supervision platform."""
