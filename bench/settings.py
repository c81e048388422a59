"""Settings for benchmark runs: the production settings plus a bench-only URLconf with a bare baseline view.

Used as DJANGO_SETTINGS_MODULE=bench.settings so that production URLs do not grow a benchmark endpoint.
"""

from clinic.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
