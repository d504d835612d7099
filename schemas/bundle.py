"""Bundle manifests: the dump and the node archives a bundle carries, with sizes and digests."""

from marshmallow import EXCLUDE, Schema, fields, validate

from schemas.rules import validate_node_id, validate_version

BUNDLE_FORMAT = "comfy-registry-bundle"
BUNDLE_FORMAT_VERSION = 1

_SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="Not a lower-case hex sha256 digest.")


class BundleFileSchema(Schema):
    """One file of the bundle: where it is and what it must hash to."""

    class Meta:
        unknown = EXCLUDE

    path = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    sha256 = fields.String(required=True, validate=_SHA256)
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class BundleArchiveSchema(BundleFileSchema):
    """A node archive: the file, and the version it belongs to."""

    node_id = fields.String(required=True, validate=validate_node_id)
    version = fields.String(required=True, validate=validate_version)


class BundleManifestSchema(Schema):
    """manifest.json at the root of a bundle."""

    class Meta:
        unknown = EXCLUDE

    format = fields.String(required=True, validate=validate.Equal(BUNDLE_FORMAT))
    format_version = fields.Integer(required=True, strict=True)
    created_at = fields.String()
    source = fields.String()
    dump = fields.Nested(BundleFileSchema, required=True)
    archives = fields.List(fields.Nested(BundleArchiveSchema), load_default=list)
