import sys

from abusebox.cli import main

sys.exit(main())
