"""A simulated league: inventory files, and HTTP cameras that serve it.

inventory   districts/departments/cameras CSV for a league
catalog     the cameras to serve, read from cameras.csv
scenes      frames from the real clips, or synthetic streets
jpegsplice  JPEGs cut and joined at MCU rows (the ticking OSD band)
pool        the bounded pool of pre-encoded pictures
imagefaults / renderer   fault pictures, rendered once, off the event loop
faults / faultbook       scripted fault rules and which hit a camera now
httpauth    Basic and Digest checks
server / control / stats the aiohttp server, its control API and counters
loadgen     a paced snapshot load, for measuring
"""
