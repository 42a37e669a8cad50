"""`python -m emohelpers.lab`: JupyterLab on notebooks/, loopback only, offline."""

import sys

from emohelpers.lab.server import main

sys.exit(main())
