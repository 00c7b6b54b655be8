"""Documents from Jinja2 templates: register extracts, refusal notices (NGI-01), the LOP
report, the proces-verbaal of an allocation run (ALC-05) and the mediation case summary.

Each document is a context dict built from the database through the services, rendered by
one template per format (`<kind>.<format>.j2`) in a sandboxed environment (`environment`).
A LOP overrides any template by putting a file of the same name in its own folder
(Settings.templates_dir, env LOPDESK_TEMPLATES); the package templates are the fallback.
One module per document; `lopdesk.domain.documents` gathers their public names.
"""
