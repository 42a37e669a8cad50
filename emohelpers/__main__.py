import sys

from emohelpers.cli.main import main

sys.exit(main())
