"""``python -m jiapei.cli``: the ``jiapei`` console command without the installed script."""

from jiapei.cli.main import main

if __name__ == "__main__":
    main()
