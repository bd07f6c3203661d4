"""`make bench`: run every benchmark in turn."""

from __future__ import annotations

import asyncio

from bench import callup, drain, fanout, hazards, home, patrols, sync, tipoffs


def main() -> None:
    asyncio.run(home.main())
    sync.main()
    drain.main()
    hazards.main()
    fanout.main([])
    callup.main([])
    patrols.main([])
    tipoffs.main([])


if __name__ == "__main__":
    main()
