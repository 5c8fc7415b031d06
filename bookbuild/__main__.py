import sys

from bookbuild.cli import main

sys.exit(main())
