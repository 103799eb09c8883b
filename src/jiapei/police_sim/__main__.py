"""``python -m jiapei.police_sim``: run the police platform SIMULATOR without Django."""

from jiapei.police_sim.server import main

if __name__ == "__main__":
    main()
