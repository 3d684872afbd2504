import sys

from crtransport.cli import main

sys.exit(main())
