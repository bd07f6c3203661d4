"""The conflict-resolving sync layer: clocks, mutations, merge rules, the log. Imports nothing
from server/: domains declare their policies and adapters and call `store.apply()`."""
