"""A municipality's use cases: the resident registry (:mod:`.registry`), its linkage
through the hub (:mod:`.linkage`), e-applications (:mod:`.applications`), notices
(:mod:`.notices`), the disclosure of its access log (:mod:`.disclosure`), eligibility for a
designated benefit (:mod:`.eligibility`) and the seeding export (:mod:`.export`)."""

from mynumber.orgs.municipality.services.registry import ResidentRegistry

__all__ = ["ResidentRegistry"]
