"""Expression classifiers behind one interface (see `base.Classifier`)."""
