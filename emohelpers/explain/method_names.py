"""The attribution methods' names, in a module without torch so the CLI starts fast."""

METHODS: tuple[str, ...] = ("gradcam", "occlusion", "integrated-gradients")
