"""A municipality's routes, one module per family: the registry's JSON API
(:mod:`.residents`), its staff pages (:mod:`.pages`), cards (:mod:`.cards`), the seeding
export (:mod:`.export`), benefit eligibility (:mod:`.eligibility`), linkage and the
intermediate server (:mod:`.linkage`), notices (:mod:`.notices`), e-application pages
(:mod:`.applications`), and the disclosure run after staff requests (:mod:`.disclosure`).
What the routes ask of their callers is in :mod:`.deps`. Each route parses, is authorised,
calls a service, and records staff actions in the access log."""
