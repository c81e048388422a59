"""The clinic's URLs plus /bench/baseline/, the bare view every figure is compared with."""

from django.urls import path

from bench.views import baseline
from clinic.urls import urlpatterns as clinic_urlpatterns

urlpatterns = [path("bench/baseline/", baseline), *clinic_urlpatterns]
