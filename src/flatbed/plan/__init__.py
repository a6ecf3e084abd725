"""One site's plan: the chain (:mod:`flatbed.plan.chain`), the search
(:mod:`flatbed.plan.choose`) and the typed result (:mod:`flatbed.plan.result`).

Calling the package, ``flatbed.plan(scenario)``, is :func:`flatbed.api.plan`.
"""

from flatbed.api import callable_module

callable_module(__name__)
