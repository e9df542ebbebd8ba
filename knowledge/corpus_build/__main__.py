import sys

from knowledge.corpus_build.write import main

sys.exit(main())
