"""Helpers written for one or two labs, outside the student core: import them by module name.

* :mod:`~shared_utils.labs.equivariance`: rotated and mirrored copies of features (labs 2, 8, 9);
* :mod:`~shared_utils.labs.handbuilt`: the hand-built curve detector of lab 8 and its evaluation;
* :mod:`~shared_utils.labs.universality`: scanning other models for curve detectors (lab 10);
* :mod:`~shared_utils.labs.hed_vgg16`: the trained ImageNet VGG16 that lab 10 compares with.
"""
