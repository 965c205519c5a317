"""Video analysis kernels: frames and timestamps in, verdicts out.

Pure numpy/OpenCV. No I/O, no threads, no clocks: time is the timestamp the
caller passes with each frame.
"""
