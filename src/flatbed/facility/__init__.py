"""Facility models: weather, cooling, power, the year simulation, transport and deployment.

Pure, vectorized model functions with units in their names (see ``docs/facility.md``):

- :mod:`~flatbed.facility.weather` — EPW reader/writer, shipped measured years, synthesis from
  monthly normals (:func:`read_epw`, :func:`synthesize_year`, :func:`weather_for_climate`).
- :mod:`~flatbed.facility.psychro` — psychrometrics and the standard atmosphere.
- :mod:`~flatbed.facility.cooling` — heat rejected, power drawn, flows, ambient limits.
- :mod:`~flatbed.facility.power` — gensets (fuel curves, derating, N+1), UPS, grid, CO2.
- :mod:`~flatbed.facility.thermal` — :func:`simulate_year` over 8,760 hours.
- :mod:`~flatbed.facility.transport` and :mod:`~flatbed.facility.timeline` — racks, modules,
  road limits, truckloads, floor loads, days to live.
- :mod:`~flatbed.facility.evaluate` — :func:`evaluate_facility`, the plan chain's entry point.

Submodules are imported on use (``from flatbed.facility.evaluate import evaluate_facility``) so
that importing the package stays light and free of import cycles with :mod:`flatbed.plan`.
"""
