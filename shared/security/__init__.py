"""Who may call Runway's HTTP APIs: bearer tokens (JWT) verified against a configured issuer
and key set, and one permission matrix (permissions.yaml) saying which role may call what."""

from .permissions import PermissionMatrix, Rule, load_matrix
from .principal import Principal
from .settings import AuthSettings
from .tokens import TokenIssuer, TokenRejected, TokenVerifier

__all__ = ["AuthSettings", "PermissionMatrix", "Principal", "Rule", "TokenIssuer",
           "TokenRejected", "TokenVerifier", "load_matrix"]
