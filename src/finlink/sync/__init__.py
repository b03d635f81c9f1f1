"""The sync engine: matching, conflicts, routing, the state store and the engine itself."""
