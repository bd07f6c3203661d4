"""`make bench`: run every benchmark in turn."""

from __future__ import annotations

import asyncio

from bench import callup, city, drain, evacuation, fanout, hazards, home, patrols, sync, tipoffs


def main() -> None:
    asyncio.run(home.main())
    sync.main()
    drain.main()
    hazards.main()
    fanout.main([])
    callup.main([])
    patrols.main([])
    tipoffs.main([])
    evacuation.main([])
    city.main(["--quick"])  # the whole city (1,000,000 hazards): python -m bench.city


if __name__ == "__main__":
    main()
