"""Static file storage for production: hashed, compressed names, and no 500 when collectstatic has not run."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ForgivingManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Whitenoise's manifest storage, except that a file missing from the manifest (collectstatic not run, or run
    before a file was added) gets its plain URL, which whitenoise still serves from the app's folder
    (WHITENOISE_USE_FINDERS), instead of a ValueError that turns every page into a 500."""

    manifest_strict = False

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            return name
