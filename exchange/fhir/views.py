"""The FHIR R4 read API at /fhir/R4/: thin views over exchange.fhir.registry, with the API's tokens and roles.

Every answer is `application/fhir+json` with `Cache-Control: no-store`; every error an OperationOutcome; every
answer that carries a patient's data writes an access-log row per patient (per type: `patient_of`, and for
Appointment `logged_for`, the REST API's rule for the same visit and reader; exchange.fhir.registry).
"""

import json

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from clinic.api.fields import MAX_ID
from clinic.api.permissions import CLINICAL, STAFF, is_clinical
from clinic.clock import clinic_zone
from clinic.roles import has_role
from exchange.fhir.documents import capability_statement, operation_outcome, searchset
from exchange.fhir.registry import TYPES, ResourceType
from exchange.fhir.search import SearchError, count_and_offset, reference_ids
from patients.audit import access_record
from patients.models import Patient
from scheduling.models import Location

FHIR_JSON = "application/fhir+json"
# Parameters every search takes besides its own.
RESULT_PARAMETERS = {"_count", "_offset", "_format"}
JSON_FORMATS = {"json", "application/json", FHIR_JSON, "application/json+fhir"}


class FhirJsonRenderer(BaseRenderer):
    media_type = FHIR_JSON
    format = "json"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class FhirRoles(BasePermission):
    """Any staff role reads the non-clinical types (and the CapabilityStatement); the clinical ones need a
    practitioner or a clinic admin."""

    message = "Your role does not allow reading this resource type."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        resource_type = TYPES.get(view.kwargs.get("resource_type", ""))
        roles = CLINICAL if resource_type is not None and resource_type.clinical else STAFF
        return has_role(request.user, *roles)


def fhir_exception_handler(exc, context):
    """Every error as an OperationOutcome with the HTTP status it stands for; anything else stays a 500."""
    if isinstance(exc, SearchError):
        return Response(operation_outcome(400, str(exc), expression=exc.parameter), status=400)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound("No such resource.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    return Response(operation_outcome(exc.status_code, str(detail)), status=exc.status_code, headers=headers)


class FhirView(APIView):
    """The FHIR conventions on DRF: the API's authentication, FHIR JSON whatever the Accept header asks (a FHIR
    client may ask for application/json or nothing), OperationOutcome errors, no caching anywhere."""

    renderer_classes = [FhirJsonRenderer]
    permission_classes = [FhirRoles]
    parser_classes = []
    schema = None  # FHIR is its own contract: kept out of the OpenAPI document
    metadata_class = None  # OPTIONS: 405 as an OperationOutcome, not DRF's own description

    def perform_content_negotiation(self, request, force=False):
        return FhirJsonRenderer(), FHIR_JSON

    def get_exception_handler(self):
        return fhir_exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def resource_type(self) -> ResourceType:
        found = TYPES.get(self.kwargs["resource_type"])
        if found is None:
            raise exceptions.NotFound(f"This server has no resource type {self.kwargs['resource_type']!r}.")
        return found

    def check_format(self) -> None:
        for value in self.request.query_params.getlist("_format"):
            if value not in JSON_FORMATS:
                raise SearchError("_format", "This server answers in JSON only.")

    def base_url(self) -> str:
        return self.request.build_absolute_uri("/fhir/R4")


class CapabilityView(FhirView):
    """What the server supports, readable without a token as the OpenAPI schema is (and as FHIR clients and SMART
    expect): it holds no data."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        self.check_format()
        return Response(capability_statement(base_url=self.base_url(), now=timezone.now()))


class ReadView(FhirView):
    def get(self, request, resource_type, pk):
        kind = self.resource_type()
        self.check_format()
        if not (pk.isascii() and pk.isdigit()) or int(pk) > MAX_ID:
            raise exceptions.NotFound(f"No {kind.name} has the id {pk!r}.")
        row = kind.rows().filter(pk=int(pk)).first()
        if row is None:
            raise exceptions.NotFound(f"No {kind.name} has the id {pk}.")
        data = kind.validated(row)
        if kind.patient_of is not None and kind.logged_for(row, is_clinical(request.user)):
            access_record(request, [kind.patient_of(row)])
        return Response(data)


class SearchView(FhirView):
    def get(self, request, resource_type):
        kind = self.resource_type()
        self.check_format()
        params = request.query_params
        unknown = sorted(set(params) - set(kind.searches) - RESULT_PARAMETERS)
        if unknown:
            raise SearchError(unknown[0], f"{kind.name} has no search parameter {unknown[0]!r}.")
        count, offset = count_and_offset(params)
        zone = self._zone(params)
        rows = kind.searched_rows(kind.rows())
        for name, search in kind.searches.items():
            if name in params:
                rows = rows.filter(search(name, params.getlist(name), zone))
        rows = rows.order_by(*kind.ordering)
        page = list(rows[offset : offset + count]) if count else []
        # A first page that is not full holds every match: no second statement to count them.
        total = len(page) if offset == 0 and 0 < len(page) < count else rows.count()
        bundle = searchset(
            resource_type=kind,
            rows=page,
            total=total,
            count=count,
            offset=offset,
            search_url=request.build_absolute_uri(request.path).rstrip("/"),
            params=params,
        )
        if kind.patient_of is not None:
            clinical_reader = is_clinical(request.user)
            read = {kind.patient_of(row) for row in page if kind.logged_for(row, clinical_reader)}
            access_record(request, read | self._searched_patients(kind, params))
        return Response(bundle)

    @staticmethod
    def _zone(params):
        """Dates without a time are local days of the searched location (the clinic's zone without one)."""
        values = params.getlist("location")
        ids = set.union(*reference_ids("location", values, "Location")) if values else set()
        if len(ids) == 1:
            location = Location.objects.filter(pk=ids.pop()).first()
            if location is not None:
                return location.zone
        return clinic_zone()

    @staticmethod
    def _searched_patients(kind: ResourceType, params) -> set[int]:
        """A clinical search for one patient reads their record even when it finds nothing: logged too."""
        if not kind.clinical:
            return set()
        names = [name for name in ("patient", "subject") if name in params]
        ids = set()
        for name in names:
            for found in reference_ids(name, params.getlist(name), "Patient"):
                ids |= found
        return set(Patient.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()


@csrf_exempt
def unknown_fhir_path(request, *args, **kwargs):
    """Any other address under /fhir/: a 404 OperationOutcome rather than Django's HTML page."""
    body = operation_outcome(404, "There is no FHIR endpoint at this address; the base is /fhir/R4/.")
    response = HttpResponse(json.dumps(body), status=404, content_type=f"{FHIR_JSON}; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
