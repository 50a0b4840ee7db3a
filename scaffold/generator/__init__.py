"""The generator: questions, the framework registry, and rendering and updating projects."""
