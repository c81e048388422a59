"""Settings for benchmark runs: the production settings plus a bench-only URLconf with a bare baseline view and
the bench app (its seed_load command writes the benchmark data sets).

Used as DJANGO_SETTINGS_MODULE=bench.settings so that production grows neither a benchmark endpoint nor a
command that fills a database with made-up patients.
"""

from clinic.settings import *  # noqa: F403
from clinic.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
