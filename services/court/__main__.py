"""`python -m services.court`: run the court service."""

from shared.web.serve import run_service

from .service import SPEC

if __name__ == "__main__":
    run_service(SPEC)
