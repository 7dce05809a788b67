"""`python -m rules` is `dockerfile-rules`."""

import sys

from rules.cli import main

sys.exit(main())
