#!/usr/bin/env python3
"""Generate the demo city pack `cities/demo-metropole/` from the commune boundaries.

The pack is a metropolis shaped like Dijon Métropole: its 23 real communes, the Ouche
and the Suzon, real public buildings and event areas at approximate positions, and a
synthetic but plausible set of sensors, cameras, units, routing rules and playbooks.

Usage (from the project root):

    python3 scripts/gen-demo-city.py [--seed 2026] [--source PATH] [--out cities/demo-metropole]

The output depends only on the seed and the source file: running it twice gives
byte-identical files. Python 3.11+, standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = Path("../shared/data/geo/dijon-metropole-communes.geojson")
DEFAULT_OUT = Path("cities/demo-metropole")
SOURCE_SHA256 = "9b824403707bdbac70d0bfc8a40ebb68bb919f8d6838ca2789ea64fd688a9504"
SOURCE_URL = (
    "https://github.com/gregoiredavid/france-geojson "
    "(departements/21-cote-d-or/communes-21-cote-d-or.geojson, filtered to Dijon Métropole)"
)
ATTRIBUTION = "IGN GEOFLA 2016, Licence Ouverte / Open Licence (Etalab)"
EARTH_RADIUS_M = 6_371_008.8

# --------------------------------------------------------------------------------------
# Communes: INSEE code, name, approximate population (INSEE, early 2020s), and the
# position of the town centre used to place cameras.
# --------------------------------------------------------------------------------------

DIJON = "21231"
NEUILLY_CRIMOLOIS = "21452"
CRIMOLOIS = "21213"

COMMUNES = {
    "21003": ("Ahuy", 1400, (5.0210, 47.3700)),
    "21105": ("Bressey-sur-Tille", 1100, (5.1850, 47.3100)),
    "21106": ("Bretenière", 900, (5.1100, 47.2380)),
    "21166": ("Chenôve", 14000, (5.0085, 47.2930)),
    "21171": ("Chevigny-Saint-Sauveur", 11300, (5.1350, 47.3000)),
    "21192": ("Corcelles-les-Monts", 650, (4.9400, 47.3000)),
    "21223": ("Daix", 1500, (5.0000, 47.3520)),
    DIJON: ("Dijon", 159000, (5.0415, 47.3215)),
    "21263": ("Fénay", 1600, (5.0620, 47.2370)),
    "21270": ("Flavignerot", 190, (4.9200, 47.2850)),
    "21278": ("Fontaine-lès-Dijon", 9000, (5.0215, 47.3440)),
    "21315": ("Hauteville-lès-Dijon", 1200, (4.9950, 47.3670)),
    "21355": ("Longvic", 9000, (5.0640, 47.2880)),
    "21370": ("Magny-sur-Tille", 900, (5.1750, 47.2800)),
    "21390": ("Marsannay-la-Côte", 5300, (4.9900, 47.2720)),
    NEUILLY_CRIMOLOIS: ("Neuilly-Crimolois", 2800, (5.1060, 47.2760)),
    "21473": ("Ouges", 1500, (5.0750, 47.2620)),
    "21481": ("Perrigny-lès-Dijon", 1700, (5.0055, 47.2655)),
    "21485": ("Plombières-lès-Dijon", 2800, (4.9630, 47.3380)),
    "21515": ("Quetigny", 9700, (5.1075, 47.3145)),
    "21540": ("Saint-Apollinaire", 7600, (5.0850, 47.3330)),
    "21605": ("Sennecey-lès-Dijon", 2200, (5.1040, 47.2900)),
    "21617": ("Talant", 11500, (5.0005, 47.3365)),
}

SLUGS = {
    "21003": "ahuy",
    "21105": "bressey",
    "21106": "breteniere",
    "21166": "chenove",
    "21171": "chevigny",
    "21192": "corcelles",
    "21223": "daix",
    DIJON: "dijon",
    "21263": "fenay",
    "21270": "flavignerot",
    "21278": "fontaine",
    "21315": "hauteville",
    "21355": "longvic",
    "21370": "magny",
    "21390": "marsannay",
    NEUILLY_CRIMOLOIS: "neuilly-crimolois",
    "21473": "ouges",
    "21481": "perrigny",
    "21485": "plombieres",
    "21515": "quetigny",
    "21540": "saint-apollinaire",
    "21605": "sennecey",
    "21617": "talant",
}

# --------------------------------------------------------------------------------------
# Lines: rivers and main roads (approximate courses, WGS84 lon/lat).
# --------------------------------------------------------------------------------------

OUCHE = [
    (4.9300, 47.3250), (4.9450, 47.3290), (4.9620, 47.3330), (4.9750, 47.3300),
    (4.9850, 47.3270), (4.9930, 47.3255), (5.0000, 47.3240), (5.0060, 47.3220),
    (5.0120, 47.3210), (5.0180, 47.3205), (5.0230, 47.3180), (5.0270, 47.3150),
    (5.0320, 47.3125), (5.0380, 47.3090), (5.0430, 47.3050), (5.0480, 47.3025),
    (5.0580, 47.2980), (5.0700, 47.2930), (5.0850, 47.2860), (5.1000, 47.2800),
    (5.1200, 47.2730), (5.1400, 47.2680),
]
SUZON = [
    (5.0400, 47.3850), (5.0370, 47.3750), (5.0350, 47.3650), (5.0320, 47.3500),
    (5.0340, 47.3420), (5.0350, 47.3350), (5.0370, 47.3280), (5.0385, 47.3180),
    (5.0400, 47.3110), (5.0420, 47.3070),
]
MAIN_ROADS = [
    (
        "rocade-lino",
        "Rocade LINO (liaison intercommunale nord-ouest)",
        "21223",
        [
            (4.9820, 47.3320), (4.9900, 47.3430), (5.0000, 47.3520), (5.0150, 47.3580),
            (5.0300, 47.3600), (5.0450, 47.3560), (5.0580, 47.3520),
        ],
    ),
    (
        "rocade-est",
        "Rocade est et sud (RN274)",
        DIJON,
        [
            (5.0620, 47.3520), (5.0780, 47.3420), (5.0900, 47.3280), (5.0940, 47.3120),
            (5.0950, 47.2960), (5.0850, 47.2840), (5.0650, 47.2790), (5.0450, 47.2800),
            (5.0250, 47.2780), (5.0100, 47.2720),
        ],
    ),
    (
        "a38",
        "Autoroute A38 (Pouilly-en-Auxois – Dijon)",
        "21485",
        [
            (4.9050, 47.3230), (4.9300, 47.3280), (4.9550, 47.3330), (4.9750, 47.3330),
            (4.9850, 47.3300),
        ],
    ),
    (
        "a31",
        "Autoroute A31 (Beaune – Dijon – Langres)",
        "21263",
        [
            (5.0200, 47.2450), (5.0400, 47.2550), (5.0700, 47.2620), (5.1000, 47.2680),
            (5.1300, 47.2750), (5.1600, 47.2900), (5.1850, 47.3100),
        ],
    ),
    (
        "avenue-jean-jaures",
        "Avenue Jean-Jaurès (D974)",
        DIJON,
        [(5.0330, 47.3160), (5.0300, 47.3050), (5.0220, 47.2940), (5.0140, 47.2870)],
    ),
]

# --------------------------------------------------------------------------------------
# Areas: event areas and public buildings, with a centre and a size in metres.
# --------------------------------------------------------------------------------------

EVENT_AREAS = [
    ("place-liberation", "Place de la Libération", DIJON, (5.0415, 47.3211), 130, 70),
    ("parc-colombiere", "Parc de la Colombière", DIJON, (5.0463, 47.3035), 520, 380),
    ("zenith", "Zénith de Dijon", DIJON, (5.0590, 47.3470), 160, 130),
    ("stade-gaston-gerard", "Stade Gaston-Gérard", DIJON, (5.0683, 47.3245), 210, 160),
    ("parc-expositions", "Parc des expositions et des congrès", DIJON, (5.0510, 47.3310), 260, 180),
    ("lac-kir", "Lac Kir — plage et promenade", DIJON, (5.0030, 47.3245), 300, 120),
]

# id, name, commune, centre, width, height, number of smoke detectors.
PUBLIC_BUILDINGS = [
    ("bibliotheque", "Bibliothèque municipale — La Nef", DIJON, (5.0443, 47.3221), 60, 40, 6),
    ("patinoire-trimolet", "Patinoire Trimolet", DIJON, (5.0487, 47.3143), 90, 60, 4),
    ("hotel-de-ville", "Hôtel de Ville — Palais des ducs et des États de Bourgogne", DIJON,
     (5.0412, 47.3226), 110, 70, 8),
    ("grand-theatre", "Grand Théâtre — Opéra de Dijon", DIJON, (5.0451, 47.3229), 50, 40, 4),
    ("auditorium", "Auditorium de Dijon", DIJON, (5.0490, 47.3290), 90, 70, 5),
    ("piscine-olympique", "Piscine olympique Dijon Métropole", DIJON, (5.0720, 47.3218), 110, 70, 3),
    ("palais-des-sports", "Palais des sports Jean-Michel-Geoffroy", DIJON, (5.0660, 47.3195), 90, 70, 3),
    ("mediatheque-champollion", "Médiathèque Champollion", DIJON, (5.0590, 47.3350), 50, 35, 3),
    ("lycee-carnot", "Lycée Carnot", DIJON, (5.0490, 47.3245), 120, 80, 5),
    ("college-le-parc", "Collège Le Parc", DIJON, (5.0450, 47.3085), 80, 60, 3),
    ("piscine-fontaine-d-ouche", "Piscine de la Fontaine-d'Ouche", DIJON, (5.0030, 47.3165), 60, 40, 2),
    ("gymnase-gresilles", "Gymnase des Grésilles", DIJON, (5.0615, 47.3380), 60, 40, 2),
    ("hotel-de-ville-chenove", "Hôtel de ville de Chenôve", "21166", (5.0085, 47.2930), 50, 35, 2),
    ("mediatheque-talant", "Médiathèque de Talant", "21617", (5.0005, 47.3365), 45, 30, 2),
    ("gymnase-longvic", "Gymnase municipal de Longvic", "21355", (5.0640, 47.2880), 60, 40, 2),
    ("mediatheque-quetigny", "Médiathèque Hervé-Bazin, Quetigny", "21515", (5.1075, 47.3145), 50, 35, 2),
    ("hotel-de-ville-chevigny", "Hôtel de ville de Chevigny-Saint-Sauveur", "21171",
     (5.1350, 47.3000), 45, 35, 2),
    ("hotel-de-ville-saint-apollinaire", "Hôtel de ville de Saint-Apollinaire", "21540",
     (5.0850, 47.3330), 45, 35, 2),
    ("hotel-de-ville-fontaine", "Hôtel de ville de Fontaine-lès-Dijon", "21278", (5.0215, 47.3440), 40, 30, 2),
    ("hotel-de-ville-marsannay", "Hôtel de ville de Marsannay-la-Côte", "21390", (4.9900, 47.2720), 40, 30, 2),
    ("mairie-plombieres", "Mairie de Plombières-lès-Dijon", "21485", (4.9630, 47.3380), 35, 25, 1),
    ("ecole-ahuy", "École élémentaire d'Ahuy", "21003", (5.0210, 47.3700), 50, 30, 2),
    ("groupe-scolaire-sennecey", "Groupe scolaire de Sennecey-lès-Dijon", "21605", (5.1040, 47.2900), 50, 35, 2),
    ("espace-culturel-neuilly", "Espace culturel de Neuilly-Crimolois", NEUILLY_CRIMOLOIS,
     (5.1060, 47.2760), 40, 30, 1),
    ("ecole-perrigny", "École de Perrigny-lès-Dijon", "21481", (5.0055, 47.2655), 40, 30, 1),
]

# Riverside roads: (id, name, first and last index of the Ouche vertices they follow).
RIVERSIDE_ROADS = [
    ("berge-ouche-a", "Voie sur berge A — quai de l'Ouche, du port du Canal à la Colombière", 11, 15),
    ("berge-ouche-b", "Voie sur berge B — avenue Albert-Ier, du lac Kir à la Chartreuse", 6, 10),
]

# Neighbourhoods of Dijon where cameras cluster: label, centre, spread (m), weight.
DIJON_ANCHORS = [
    ("Place de la Libération", (5.0415, 47.3213), 120, 10),
    ("Rue de la Liberté", (5.0380, 47.3222), 150, 10),
    ("Place Darcy", (5.0343, 47.3226), 120, 7),
    ("Place de la République", (5.0458, 47.3278), 150, 7),
    ("Place Wilson", (5.0455, 47.3155), 150, 6),
    ("Gare Dijon-Ville", (5.0275, 47.3235), 150, 7),
    ("Rue Berbisey", (5.0380, 47.3185), 120, 4),
    ("Place Émile-Zola", (5.0360, 47.3200), 100, 4),
    ("Les Halles", (5.0395, 47.3240), 100, 5),
    ("Quartier des Grésilles", (5.0600, 47.3370), 350, 8),
    ("Fontaine-d'Ouche", (5.0030, 47.3160), 350, 8),
    ("Toison d'Or", (5.0560, 47.3520), 300, 8),
    ("Campus Montmuzard", (5.0700, 47.3140), 350, 6),
    ("Port du Canal", (5.0295, 47.3155), 150, 4),
    ("Parc des Sports", (5.0683, 47.3230), 250, 5),
    ("Parc de la Colombière", (5.0463, 47.3035), 250, 4),
    ("Avenue du Drapeau", (5.0480, 47.3350), 250, 5),
    ("Chartreuse", (5.0195, 47.3235), 250, 4),
    ("Avenue Victor-Hugo", (5.0300, 47.3290), 200, 4),
    ("Boulevard de Sévigné", (5.0290, 47.3210), 150, 3),
    ("Maladière", (5.0560, 47.3280), 250, 4),
    ("Bourroches", (5.0250, 47.3050), 300, 4),
    ("Lac Kir", (5.0040, 47.3245), 200, 3),
]

POSTS = [
    ("securite-espace-public", "Sécurité de l'espace public", "Public-space security", (5.0485, 47.3335)),
    ("police-municipale", "Police municipale", "Municipal police", (5.0378, 47.3255)),
    ("csu-video", "Centre de supervision urbain — vidéoprotection", "Urban supervision centre — video",
     (5.0487, 47.3336)),
    ("circulation", "Circulation et voirie", "Traffic and roads", (5.0600, 47.3050)),
    ("batiments-publics", "Bâtiments publics", "Public buildings", (5.0483, 47.3334)),
    ("cellule-crise", "Cellule de crise", "Crisis cell", (5.0489, 47.3333)),
]

# The camera whose video the demo analyses (the sample video stands in for its stream), and
# the analytics' sensors: zone or line, measure, kind, unit, criticality.
VIDEO_CAMERA = "cam-dijon-0100"
VIDEO_REPORT_PERIOD_S = 60
VIDEO_SENSORS = [
    ("allee", "count", "video_count", "persons", 2),
    ("allee", "close_pairs", "video_close_pairs", "pairs", 1),
    ("allee", "density", "video_density", "persons/m²", 4),
    ("allee", "counter_flow", "video_counter_flow", "tracks", 3),
    ("passage", "count", "video_count", "persons", 2),
    ("passage", "close_pairs", "video_close_pairs", "pairs", 1),
    ("passage", "density", "video_density", "persons/m²", 4),
    ("pelouse", "count", "video_count", "persons", 2),
    ("pelouse", "close_pairs", "video_close_pairs", "pairs", 1),
    ("pelouse", "intrusion", "video_intrusion", "persons", 3),
    ("ligne-allee", "in", "video_flow", "persons", 1),
    ("ligne-allee", "out", "video_flow", "persons", 1),
]
VIDEO_MEASURE_NAMES = {
    "count": "personnes",
    "close_pairs": "paires à moins d'un mètre",
    "density": "densité",
    "counter_flow": "contresens",
    "intrusion": "intrusion",
    "in": "passages entrants",
    "out": "passages sortants",
}

ROLES = [
    ("operator", "Opérateur", "Operator",
     "Surveille la carte et la file d'incidents de son poste, acquitte, engage les unités, suit la fiche réflexe.",
     "Watches the map and the incident queue of their post, acknowledges, dispatches units, follows the playbook."),
    ("supervisor", "Superviseur", "Supervisor",
     "Voit toute la métropole, réaffecte et escalade les incidents, pilote les crises et les grands événements.",
     "Sees the whole metropolis, reassigns and escalates incidents, runs crises and big events."),
    ("administrator", "Administrateur", "Administrator",
     "Gère les comptes, les rôles, le paquet ville et les connexions des capteurs.",
     "Manages accounts, roles, the city pack and sensor connections."),
    ("auditor", "Auditeur", "Auditor",
     "Lit le journal d'audit et la main courante, sans pouvoir agir sur les incidents.",
     "Reads the audit log and the operational log, without acting on incidents."),
    ("dpo", "Délégué à la protection des données", "Data protection officer",
     "Contrôle les durées de conservation, les accès aux images et les exports.",
     "Checks retention periods, access to imagery and exports."),
    ("integrator", "Intégrateur", "Integrator",
     "Raccorde capteurs, caméras, centrales d'alarme et plateformes FIWARE ; voit l'état des flux.",
     "Connects sensors, cameras, alarm panels and FIWARE platforms; sees the health of the feeds."),
]

# --------------------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------------------


def to_local_m(origin, point):
    """Equirectangular projection of `point` around `origin`, in metres (east, north)."""
    lat0 = math.radians(origin[1])
    x = math.radians(point[0] - origin[0]) * math.cos(lat0) * EARTH_RADIUS_M
    y = math.radians(point[1] - origin[1]) * EARTH_RADIUS_M
    return x, y


def from_local_m(origin, x, y):
    lat0 = math.radians(origin[1])
    lon = origin[0] + math.degrees(x / (EARTH_RADIUS_M * math.cos(lat0)))
    lat = origin[1] + math.degrees(y / EARTH_RADIUS_M)
    return lon, lat


def ring_contains(ring, point):
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def polygon_contains(rings, point):
    return ring_contains(rings[0], point) and not any(ring_contains(r, point) for r in rings[1:])


def rectangle(centre, width_m, height_m):
    half_w, half_h = width_m / 2, height_m / 2
    corners = [(-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h), (-half_w, -half_h)]
    return [rounded(from_local_m(centre, x, y)) for x, y in corners]


def offset_line(line, offset_m):
    """Shifts a polyline sideways by `offset_m` (positive: to the left of its direction)."""
    origin = line[0]
    local = [to_local_m(origin, p) for p in line]
    shifted = []
    for index, (x, y) in enumerate(local):
        before = local[max(index - 1, 0)]
        after = local[min(index + 1, len(local) - 1)]
        dx, dy = after[0] - before[0], after[1] - before[1]
        length = math.hypot(dx, dy)
        nx, ny = -dy / length, dx / length
        shifted.append(rounded(from_local_m(origin, x + nx * offset_m, y + ny * offset_m)))
    return shifted


def point_along(line, fraction):
    """The point at `fraction` (0..1) of the length of a polyline, and the direction there (deg)."""
    origin = line[0]
    local = [to_local_m(origin, p) for p in line]
    lengths = [math.dist(a, b) for a, b in zip(local, local[1:])]
    target = fraction * sum(lengths)
    segments = list(zip(local, local[1:]))
    for index, ((a, b), length) in enumerate(zip(segments, lengths)):
        if target <= length or index == len(segments) - 1:
            t = min(target / length, 1.0)
            x, y = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
            bearing = math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360
            return rounded(from_local_m(origin, x, y)), bearing
        target -= length
    raise AssertionError("fraction outside 0..1")


def rounded(point):
    return (round(point[0], 6), round(point[1], 6))


def dissolve(ring_a, ring_b):
    """Union of two rings that share one contiguous chain of vertices (a common border)."""
    a = [tuple(p) for p in ring_a[:-1]]
    b = [tuple(p) for p in ring_b[:-1]]
    shared = set(a) & set(b)
    if len(shared) < 2:
        raise SystemExit("the two communes to merge share no border")
    n = len(a)
    start = next(i for i in range(n) if a[i] in shared and a[i - 1] not in shared)
    chain_length = 0
    while a[(start + chain_length) % n] in shared:
        chain_length += 1
    if chain_length != len(shared):
        raise SystemExit("the common border of the communes to merge is not one chain")
    first, last = a[start], a[(start + chain_length - 1) % n]
    # Outer part of `a`, from the end of the common chain round to its start.
    outer_a = [a[(start + chain_length - 1 + k) % n] for k in range(n - chain_length + 2)]
    assert outer_a[0] == last and outer_a[-1] == first
    # Outer part of `b`, from `first` back to `last`, walking away from the chain.
    m = len(b)
    index = b.index(first)
    step = 1 if b[(index + 1) % m] not in shared else -1
    outer_b = []
    while True:
        index = (index + step) % m
        if b[index] == last:
            break
        outer_b.append(b[index])
    ring = outer_a + outer_b + [last]
    return [list(p) for p in ring]


# --------------------------------------------------------------------------------------
# Output helpers
# --------------------------------------------------------------------------------------


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def toml_table(name, fields):
    lines = [f"[[{name}]]"]
    for key, value in fields.items():
        if value is None:
            continue
        lines.append(f"{key} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def feature_collection(properties, features):
    """GeoJSON text with one feature per line, so that diffs stay readable."""
    head = json.dumps({"type": "FeatureCollection", **properties}, ensure_ascii=False, separators=(",", ":"))
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    return head[:-1] + ',"features":[\n' + body + "\n]}\n"


def feature(geometry_type, coordinates, **properties):
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": geometry_type, "coordinates": coordinates},
    }


# --------------------------------------------------------------------------------------
# The pack
# --------------------------------------------------------------------------------------


class Pack:
    def __init__(self, source, seed):
        self.rng = random.Random(seed)
        self.boundaries = load_boundaries(source)
        self.zones = []
        self.zone_geometry = {}
        self.sensors = []
        self.cameras = []
        self.units = []

    def commune_of(self, point):
        for code, rings in self.boundaries.items():
            if polygon_contains(rings, point):
                return code
        return None

    def check_inside(self, what, commune, point):
        found = self.commune_of(point)
        if found != commune:
            raise SystemExit(f"{what} at {point} lies in {found}, not in {commune}: fix its coordinates")

    def sample_near(self, commune, centre, spread_m):
        """A point around `centre` (Gaussian, `spread_m`), inside `commune` (rejection)."""
        for _ in range(10_000):
            x, y = self.rng.gauss(0, spread_m), self.rng.gauss(0, spread_m)
            point = rounded(from_local_m(centre, x, y))
            if polygon_contains(self.boundaries[commune], point):
                return point
        raise SystemExit(f"could not place a point in {commune} around {centre}")

    def sample_in_rectangle(self, zone_id, margin_m=4):
        zone = self.zone_geometry[zone_id]
        centre, width, height = zone["centre"], zone["width"], zone["height"]
        x = self.rng.uniform(-width / 2 + margin_m, width / 2 - margin_m)
        y = self.rng.uniform(-height / 2 + margin_m, height / 2 - margin_m)
        return rounded(from_local_m(centre, x, y))

    # ---- zones -----------------------------------------------------------------------

    def build_zones(self):
        self.add_line_zone("riviere-ouche", "L'Ouche", "river", DIJON, OUCHE)
        self.add_line_zone("riviere-suzon", "Le Suzon", "river", DIJON, SUZON)
        for zone_id, name, first, last in RIVERSIDE_ROADS:
            line = offset_line(OUCHE[first : last + 1], 25)
            for point in line:
                self.check_inside(name, DIJON, point)
            self.add_line_zone(zone_id, name, "riverside_road", DIJON, line)
        for zone_id, name, commune, line in MAIN_ROADS:
            self.add_line_zone(zone_id, name, "main_road", commune, line)
        for zone_id, name, commune, centre, width, height in EVENT_AREAS:
            self.add_area_zone(zone_id, name, "event_area", commune, centre, width, height)
        for zone_id, name, commune, centre, width, height, _ in PUBLIC_BUILDINGS:
            self.add_area_zone(zone_id, name, "public_building", commune, centre, width, height)

    def add_line_zone(self, zone_id, name, kind, commune, line):
        coordinates = [list(rounded(p)) for p in line]
        self.zones.append(feature("LineString", coordinates, id=zone_id, name=name, kind=kind, commune=commune))
        self.zone_geometry[zone_id] = {"line": [tuple(p) for p in coordinates]}

    def add_area_zone(self, zone_id, name, kind, commune, centre, width, height):
        ring = rectangle(centre, width, height)
        for corner in ring:
            self.check_inside(name, commune, corner)
        self.zones.append(
            feature("Polygon", [[list(p) for p in ring]], id=zone_id, name=name, kind=kind, commune=commune)
        )
        self.zone_geometry[zone_id] = {"centre": centre, "width": width, "height": height}

    # ---- sensors ---------------------------------------------------------------------

    def add_sensor(self, sensor_id, kind, unit, point, commune, zone, criticality, period_s, name):
        self.sensors.append(
            {
                "id": sensor_id,
                "name": name,
                "kind": kind,
                "unit": unit,
                "lon": point[0],
                "lat": point[1],
                "commune": commune,
                "zone": zone,
                "criticality": criticality,
                "expected_period_s": period_s,
            }
        )

    def build_sensors(self):
        gauges = [
            ("ouche", "riviere-ouche", OUCHE, [0.12, 0.27, 0.36, 0.47, 0.57, 0.70, 0.83]),
            ("suzon", "riviere-suzon", SUZON, [0.22, 0.45, 0.70]),
        ]
        for river, zone, line, fractions in gauges:
            for number, fraction in enumerate(fractions, start=1):
                point, _ = point_along(line, fraction)
                commune = self.commune_of(point)
                if commune is None:
                    raise SystemExit(f"gauge {river} {number} falls outside the metropolis")
                place = COMMUNES[commune][0]
                self.add_sensor(
                    f"gauge-{river}-{number:02}", "river_level", "m", point, commune, zone, 5, 300,
                    f"Échelle limnimétrique {river.capitalize()} — {place}",
                )

        for zone_id, name, commune, _, _, _, smoke_count in PUBLIC_BUILDINGS:
            detectors = [("smoke", "state", smoke_count, 3600, 5, "Détecteur de fumée"),
                         ("heat", "°C", max(1, smoke_count // 2), 3600, 4, "Détecteur de chaleur"),
                         ("intrusion", "state", 1 + smoke_count // 4, 3600, 3, "Détecteur d'intrusion")]
            for kind, unit, count, period, criticality, label in detectors:
                for number in range(1, count + 1):
                    point = self.sample_in_rectangle(zone_id)
                    self.add_sensor(
                        f"{kind}-{zone_id}-{number:02}", kind, unit, point, commune, zone_id, criticality,
                        period, f"{label} {number} — {name}",
                    )

        for road_id, name, _, line in MAIN_ROADS:
            count = 4 if road_id != "avenue-jean-jaures" else 3
            for number in range(1, count + 1):
                fraction = (number - 0.5) / count
                point, _ = point_along(line, fraction)
                commune = self.commune_of(point)
                if commune is None:
                    continue
                self.add_sensor(
                    f"traffic-{road_id}-{number:02}", "traffic_flow", "veh/h", point, commune, road_id, 2, 60,
                    f"Boucle de comptage {number} — {name}",
                )
        boulevards = [
            ("boulevard-tremouille", "Boulevard de la Trémouille", (5.0405, 47.3265)),
            ("avenue-drapeau", "Avenue du Drapeau", (5.0470, 47.3360)),
            ("boulevard-clemenceau", "Boulevard Clemenceau", (5.0510, 47.3290)),
            ("avenue-langres", "Avenue de Langres", (5.0450, 47.3420)),
            ("rue-auxonne", "Rue d'Auxonne", (5.0500, 47.3160)),
            ("avenue-victor-hugo", "Avenue Victor-Hugo", (5.0300, 47.3290)),
            ("boulevard-sevigne", "Boulevard de Sévigné", (5.0290, 47.3210)),
            ("place-wilson", "Place Wilson", (5.0455, 47.3155)),
        ]
        for slug, name, point in boulevards:
            self.check_inside(name, DIJON, point)
            self.add_sensor(
                f"traffic-{slug}-01", "traffic_flow", "veh/h", point, DIJON, None, 2, 60,
                f"Boucle de comptage — {name}",
            )

        for zone_id, name, commune, _, _, _ in EVENT_AREAS:
            for number in range(1, 5):
                point = self.sample_in_rectangle(zone_id, margin_m=10)
                self.add_sensor(
                    f"crowd-{zone_id}-{number:02}", "crowd_count", "persons", point, commune, zone_id, 3, 60,
                    f"Compteur de personnes, accès {number} — {name}",
                )

        air_stations = [
            ("tremouille", "Station Trémouille", DIJON, (5.0400, 47.3270)),
            ("pejoces", "Station Péjoces", DIJON, (5.0640, 47.3090)),
            ("toison-d-or", "Station Toison d'Or", DIJON, (5.0560, 47.3500)),
            ("chenove", "Station Chenôve centre", "21166", (5.0090, 47.2920)),
            ("quetigny", "Station Quetigny", "21515", (5.1080, 47.3150)),
            ("talant", "Station Talant", "21617", (5.0010, 47.3360)),
        ]
        rain_gauges = [
            ("dijon-centre", "Pluviomètre Dijon centre", DIJON, (5.0470, 47.3330)),
            ("talant", "Pluviomètre Talant", "21617", (5.0030, 47.3380)),
            ("longvic", "Pluviomètre Longvic", "21355", (5.0660, 47.2860)),
            ("plombieres", "Pluviomètre Plombières-lès-Dijon", "21485", (4.9650, 47.3390)),
        ]
        for slug, name, commune, point in rain_gauges:
            self.check_inside(name, commune, point)
            self.add_sensor(f"rain-{slug}-01", "rainfall", "mm/h", point, commune, None, 3, 300, name)
        for slug, name, commune, point in air_stations:
            self.check_inside(name, commune, point)
            self.add_sensor(
                f"air-{slug}-01", "air_quality", "µg/m³", point, commune, None, 2, 900,
                f"Qualité de l'air (PM10) — {name}",
            )

    # ---- cameras ---------------------------------------------------------------------

    def build_cameras(self, total):
        zone_cameras = []
        for zone_id, name, commune, centre, width, height in EVENT_AREAS:
            count = 6 if zone_id in ("place-liberation", "parc-colombiere", "stade-gaston-gerard") else 4
            zone_cameras += [(commune, zone_id, name, centre, max(width, height) / 2 + 30) for _ in range(count)]
        for zone_id, name, commune, centre, width, height, _ in PUBLIC_BUILDINGS:
            zone_cameras.append((commune, zone_id, name, centre, max(width, height) / 2 + 25))
        free = total - len(zone_cameras)

        # Cameras outside zones: communes weighted by population, every commune at least one.
        population = {code: COMMUNES[code][1] for code in COMMUNES}
        already = {code: 0 for code in COMMUNES}
        for commune, *_ in zone_cameras:
            already[commune] += 1
        total_population = sum(population.values())
        share = {code: total * population[code] / total_population - already[code] for code in COMMUNES}
        allocation = {code: max(1, math.floor(max(share[code], 0))) for code in COMMUNES}
        remaining = free - sum(allocation.values())
        for code in sorted(COMMUNES, key=lambda c: (allocation[c] - share[c], c))[: max(remaining, 0)]:
            allocation[code] += 1
        assert sum(allocation.values()) == free, "camera allocation must add up"

        counters = {code: 0 for code in COMMUNES}
        placed = []
        for commune, zone_id, name, centre, ring_m in zone_cameras:
            angle = self.rng.uniform(0, 2 * math.pi)
            distance = self.rng.uniform(0.6, 1.0) * ring_m
            point = rounded(from_local_m(centre, distance * math.sin(angle), distance * math.cos(angle)))
            if self.commune_of(point) != commune:
                point = self.sample_in_rectangle(zone_id)
            dx, dy = to_local_m(point, centre)
            heading = round(math.degrees(math.atan2(dx, dy)) % 360, 1)
            placed.append((commune, zone_id, name, point, heading, math.hypot(dx, dy)))
        for commune in sorted(COMMUNES):
            for _ in range(allocation[commune]):
                if commune == DIJON:
                    label, centre, spread, _ = self.rng.choices(
                        DIJON_ANCHORS, weights=[a[3] for a in DIJON_ANCHORS]
                    )[0]
                else:
                    label, centre, spread = COMMUNES[commune][0] + " centre", COMMUNES[commune][2], 450
                point = self.sample_near(commune, centre, spread)
                heading = round(self.rng.uniform(0, 360), 1)
                placed.append((commune, None, label, point, heading, 0.0))

        placed.sort(key=lambda c: (c[0] != DIJON, c[0], c[2], c[3]))
        per_label = {}
        for commune, zone_id, label, point, heading, distance_to_target in placed:
            counters[commune] += 1
            per_label[label] = per_label.get(label, 0) + 1
            camera_id = f"cam-{SLUGS[commune]}-{counters[commune]:04}"
            dome = self.rng.random() < 0.2
            fov = 360.0 if dome else float(self.rng.choice([45, 55, 60, 70, 80, 90]))
            range_m = float(max(round(distance_to_target + 40), self.rng.choice([60, 80, 100, 120, 150])))
            kind = "dôme" if dome else "fixe"
            self.cameras.append(
                {
                    "id": camera_id,
                    "name": f"{label} — caméra {per_label[label]:02} ({kind})",
                    "lon": point[0],
                    "lat": point[1],
                    "heading_deg": heading,
                    "fov_deg": fov,
                    "range_m": range_m,
                    "commune": commune,
                    "zone": zone_id,
                    "stream_url": f"rtsp://vms.demo.invalid/cam/{camera_id}",
                    "snapshot_url": f"https://vms.demo.invalid/cam/{camera_id}/snapshot.jpg",
                }
            )

    # ---- video analytics ---------------------------------------------------------------

    def build_video_analytics(self):
        """The sensors that Vigie's vision worker feeds for the demo's analysed camera.

        Their ids follow the worker's convention `<camera>.<zone or line>.<measure>`; the zones
        and lines themselves are drawn on the ground in `vision/<camera>.toml`.
        """
        camera = next(camera for camera in self.cameras if camera["id"] == VIDEO_CAMERA)
        point = (camera["lon"], camera["lat"])
        for name, measure, kind, unit, criticality in VIDEO_SENSORS:
            self.add_sensor(
                f"{VIDEO_CAMERA}.{name}.{measure}",
                kind,
                unit,
                point,
                camera["commune"],
                camera["zone"],
                criticality,
                VIDEO_REPORT_PERIOD_S,
                f"{camera['name']} — {VIDEO_MEASURE_NAMES[measure]} ({name})",
            )

    # ---- units -----------------------------------------------------------------------

    def build_units(self):
        police_dijon = (5.0378, 47.3255)
        pc = (5.0485, 47.3335)
        technical_centre = (5.0600, 47.3050)
        units = [
            *[(f"pm-dijon-{n:02}", f"Patrouille police municipale Dijon {n}", "police-municipale",
               "police_patrol", police_dijon) for n in range(1, 7)],
            ("pm-chenove-01", "Patrouille police municipale Chenôve", "police-municipale", "police_patrol",
             COMMUNES["21166"][2]),
            ("pm-talant-01", "Patrouille police municipale Talant", "police-municipale", "police_patrol",
             COMMUNES["21617"][2]),
            ("pm-quetigny-01", "Patrouille police municipale Quetigny", "police-municipale", "police_patrol",
             COMMUNES["21515"][2]),
            ("pm-chevigny-01", "Patrouille police municipale Chevigny-Saint-Sauveur", "police-municipale",
             "police_patrol", COMMUNES["21171"][2]),
            ("pm-longvic-01", "Patrouille police municipale Longvic", "police-municipale", "police_patrol",
             COMMUNES["21355"][2]),
            ("pm-brigade-cynophile-01", "Brigade cynophile", "police-municipale", "police_patrol", police_dijon),
            *[(f"sep-dijon-{n:02}", f"Équipe sécurité de l'espace public {n}", "securite-espace-public",
               "security_team", pc) for n in range(1, 4)],
            ("mediateurs-nuit-01", "Médiateurs de nuit", "securite-espace-public", "mediation_team", pc),
            *[(f"voirie-{n:02}", f"Équipe voirie et signalisation {n}", "circulation", "road_crew",
               technical_centre) for n in range(1, 4)],
            ("ssiap-01", "Agent de sécurité incendie SSIAP, centre-ville", "batiments-publics",
             "fire_safety_agent", (5.0412, 47.3226)),
            ("ssiap-02", "Agent de sécurité incendie SSIAP, équipements sportifs", "batiments-publics",
             "fire_safety_agent", (5.0683, 47.3230)),
            ("tech-batiments-01", "Technicien d'astreinte bâtiments", "batiments-publics", "technician",
             technical_centre),
            ("liaison-sdis-01", "Officier de liaison SDIS 21", "cellule-crise", "fire_liaison", pc),
            ("astreinte-direction-01", "Cadre d'astreinte de direction", "cellule-crise", "duty_officer", pc),
            ("operateur-mobile-01", "Opérateur vidéo mobile (caméra nomade)", "csu-video", "mobile_video", pc),
        ]
        for unit_id, name, post, kind, home in units:
            self.units.append({"id": unit_id, "name": name, "post": post, "kind": kind, "home": list(home)})


def load_boundaries(source):
    text = source.read_bytes()
    digest = hashlib.sha256(text).hexdigest()
    if digest != SOURCE_SHA256:
        print(f"warning: {source} has sha256 {digest}, expected {SOURCE_SHA256}", file=sys.stderr)
    data = json.loads(text)
    rings = {}
    for f in data["features"]:
        code = f["properties"]["code"]
        if f["geometry"]["type"] != "Polygon":
            raise SystemExit(f"commune {code}: expected a Polygon")
        rings[code] = f["geometry"]["coordinates"]
    if len(rings) != 24:
        raise SystemExit(f"expected 24 commune features, found {len(rings)}")
    merged = dissolve(rings[NEUILLY_CRIMOLOIS][0], rings[CRIMOLOIS][0])
    rings[NEUILLY_CRIMOLOIS] = [merged]
    del rings[CRIMOLOIS]
    if set(rings) != set(COMMUNES):
        raise SystemExit(f"communes differ from the expected 23: {sorted(set(rings) ^ set(COMMUNES))}")
    return {code: rings[code] for code in sorted(rings)}


# --------------------------------------------------------------------------------------
# Routing and playbooks
# --------------------------------------------------------------------------------------


def routing_rules():
    buildings = [b[0] for b in PUBLIC_BUILDINGS]
    events = [e[0] for e in EVENT_AREAS]
    roads = [r[0] for r in MAIN_ROADS]
    return [
        {"category": "fire", "post": "batiments-publics", "zones": buildings},
        {"category": "fire", "post": "securite-espace-public"},
        {"category": "intrusion", "post": "batiments-publics", "zones": buildings},
        {"category": "intrusion", "post": "police-municipale"},
        {"category": "flood", "post": "cellule-crise"},
        {"category": "traffic", "post": "circulation", "zones": roads},
        {"category": "traffic", "post": "circulation", "communes": [DIJON]},
        {"category": "traffic", "post": "police-municipale"},
        {"category": "crowd", "post": "securite-espace-public", "zones": events},
        {"category": "crowd", "post": "securite-espace-public", "communes": [DIJON]},
        {"category": "crowd", "post": "police-municipale"},
        {"category": "sensor_fault", "post": "batiments-publics", "zones": buildings},
        {"category": "sensor_fault", "post": "cellule-crise", "zones": ["riviere-ouche", "riviere-suzon"]},
        {"category": "sensor_fault", "post": "csu-video"},
        {"category": "public_order", "post": "police-municipale", "communes": [DIJON]},
        {"category": "public_order", "post": "securite-espace-public"},
        {"category": "video_alert", "post": "securite-espace-public", "zones": events},
        {"category": "video_alert", "post": "csu-video"},
    ]


PLAYBOOKS = {
    "fire": ("Départ de feu", "Fire", "p1", 60, [
        ("appeler-sdis", "Appeler les sapeurs-pompiers (18 / 112) et donner l'adresse exacte",
         "Call the fire brigade (18 / 112) and give the exact address"),
        ("lever-doute-video", "Lever le doute avec les caméras proches",
         "Confirm with the nearby cameras"),
        ("evacuer", "Faire évacuer le bâtiment ou la zone (agent SSIAP, alarme)",
         "Have the building or area evacuated (fire safety agent, alarm)"),
        ("couper-acces", "Faire couper l'accès aux véhicules et guider les secours",
         "Have vehicle access closed and guide the fire engines"),
        ("informer-elu", "Informer l'élu et le cadre d'astreinte", "Inform the elected official and the duty manager"),
        ("bilan", "Faire le bilan (victimes, dégâts) et noter la fin d'intervention",
         "Record the outcome (casualties, damage) and the end of operations"),
    ]),
    "flood": ("Crue / inondation", "Flood", "p1", 120, [
        ("prevenir-cellule-crise", "Prévenir la cellule de crise et le cadre d'astreinte",
         "Warn the crisis cell and the duty manager"),
        ("fermer-berge-a", "Fermer la voie sur berge A (quai de l'Ouche)", "Close riverside road A (quai de l'Ouche)"),
        ("fermer-berge-b", "Fermer la voie sur berge B (avenue Albert-Ier)",
         "Close riverside road B (avenue Albert-Ier)"),
        ("alerter-population", "Alerter la population (message CAP, panneaux, réseaux)",
         "Alert the public (CAP message, signs, social networks)"),
        ("verifier-echelles", "Vérifier les échelles limnimétriques de l'Ouche et du Suzon toutes les 15 min",
         "Check the Ouche and Suzon gauges every 15 min"),
        ("evacuer-riverains", "Préparer l'évacuation des riverains exposés", "Prepare to evacuate exposed residents"),
        ("reouvrir", "Rouvrir les voies sur berge après décrue et inspection", "Reopen the riverside roads after the water falls and an inspection"),
    ]),
    "intrusion": ("Intrusion", "Intrusion", "p2", 120, [
        ("lever-doute-video", "Lever le doute avec les caméras du bâtiment", "Confirm with the building's cameras"),
        ("engager-patrouille", "Engager la patrouille la plus proche", "Dispatch the nearest patrol"),
        ("prevenir-police-nationale", "Prévenir la police nationale (17) si l'intrusion est confirmée",
         "Call the national police (17) if the intrusion is confirmed"),
        ("securiser", "Faire sécuriser et refermer le bâtiment", "Have the building secured and locked again"),
        ("rapport", "Rédiger le rapport et conserver les images utiles", "Write the report and keep the relevant images"),
    ]),
    "traffic": ("Incident de circulation", "Traffic incident", "p3", 300, [
        ("verifier-cameras", "Vérifier la situation sur les caméras", "Check the situation on the cameras"),
        ("adapter-feux", "Adapter les plans de feux et les panneaux à messages variables",
         "Adjust the traffic-light plans and the variable-message signs"),
        ("engager-voirie", "Engager une équipe voirie pour baliser", "Dispatch a road crew to put up signs"),
        ("informer-usagers", "Informer les usagers (Divia, radio, réseaux)", "Inform road users (Divia, radio, social networks)"),
        ("retour-normal", "Constater le retour à la normale", "Confirm traffic is back to normal"),
    ]),
    "crowd": ("Foule / densité excessive", "Crowd / excessive density", "p2", 120, [
        ("verifier-densite", "Vérifier la densité et les flux sur les caméras et les compteurs",
         "Check density and flows on the cameras and counters"),
        ("prevenir-organisateur", "Prévenir l'organisateur et son service d'ordre", "Warn the organiser and their stewards"),
        ("filtrer-acces", "Filtrer ou fermer des accès, ouvrir des sorties de délestage",
         "Filter or close entrances, open relief exits"),
        ("engager-equipes", "Engager les équipes de sécurité de l'espace public", "Dispatch the public-space security teams"),
        ("informer-public", "Informer le public (sonorisation, écrans)", "Inform the public (PA, screens)"),
    ]),
    "sensor_fault": ("Capteur en défaut", "Sensor fault", "p4", 900, [
        ("verifier-supervision", "Vérifier l'état du capteur et de sa liaison", "Check the sensor and its link"),
        ("mesure-compensatoire", "Mettre en place une surveillance de remplacement (ronde, caméra)",
         "Set up replacement monitoring (round, camera)"),
        ("ticket-maintenance", "Ouvrir un ticket de maintenance", "Open a maintenance ticket"),
        ("retour-service", "Constater le retour en service", "Confirm the sensor is back in service"),
    ]),
    "public_order": ("Trouble à l'ordre public", "Public order disturbance", "p2", 180, [
        ("evaluer-video", "Évaluer la situation sur les caméras", "Assess the situation on the cameras"),
        ("engager-patrouille", "Engager une patrouille de police municipale", "Dispatch a municipal police patrol"),
        ("prevenir-police-nationale", "Prévenir la police nationale (17) si nécessaire",
         "Call the national police (17) if needed"),
        ("main-courante", "Consigner les faits en main courante", "Record the facts in the operational log"),
    ]),
    "video_alert": ("Alerte vidéo", "Video alert", "p3", 180, [
        ("lever-doute", "Lever le doute sur l'image (fausse alerte ?)", "Confirm on the image (false alarm?)"),
        ("qualifier", "Qualifier l'événement et changer de catégorie si besoin",
         "Classify the event and change its category if needed"),
        ("engager", "Engager l'équipe adaptée", "Dispatch the appropriate team"),
        ("conserver-extrait", "Conserver un extrait si un incident est confirmé (durée légale)",
         "Keep a clip if an incident is confirmed (legal retention)"),
    ]),
}


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def write_pack(pack, out):
    out.mkdir(parents=True, exist_ok=True)
    (out / "playbooks").mkdir(exist_ok=True)

    communes = [
        feature("Polygon", pack.boundaries[code], id=code, name=COMMUNES[code][0]) for code in sorted(COMMUNES)
    ]
    (out / "communes.geojson").write_text(
        feature_collection({"name": "Dijon Métropole — communes", "attribution": ATTRIBUTION}, communes),
        encoding="utf-8",
    )
    (out / "zones.geojson").write_text(
        feature_collection({"name": "Dijon Métropole — zones"}, pack.zones), encoding="utf-8"
    )

    parts = [
        "# Demo city pack: a metropolis shaped like Dijon Métropole.\n"
        "# Generated by scripts/gen-demo-city.py; edit the script, not this file.\n\n"
        "version = 1\n"
        'name = "Dijon Métropole (démo)"\n'
        'timezone = "Europe/Paris"\n'
        f"center = {toml_value(list(COMMUNES[DIJON][2]))}\n"
    ]
    for code in sorted(COMMUNES):
        name, population, _ = COMMUNES[code]
        parts.append(toml_table("communes", {"id": code, "name": name, "population": population}))
    for post_id, name_fr, name_en, location in POSTS:
        parts.append(
            toml_table("posts", {"id": post_id, "name_fr": name_fr, "name_en": name_en, "location": list(location)})
        )
    for role_id, name_fr, name_en, description_fr, description_en in ROLES:
        parts.append(
            toml_table(
                "roles",
                {
                    "id": role_id,
                    "name_fr": name_fr,
                    "name_en": name_en,
                    "description_fr": description_fr,
                    "description_en": description_en,
                },
            )
        )
    for sensor in pack.sensors:
        parts.append(toml_table("sensors", sensor))
    for camera in pack.cameras:
        parts.append(toml_table("cameras", camera))
    for unit in pack.units:
        parts.append(toml_table("units", unit))
    for rule in routing_rules():
        parts.append(toml_table("routing", rule))
    parts.append(
        "# How long each class of data is kept. Video-derived snapshots: at most one month\n"
        "# (Code de la sécurité intérieure L252-5) unless an open incident or a legal hold keeps them.\n"
        "[retention]\n"
        "video_derived_days = 30\n"
    )
    (out / "city.toml").write_text("\n".join(parts), encoding="utf-8")

    for category, (label_fr, label_en, priority, ack_delay_s, steps) in PLAYBOOKS.items():
        text = (
            f"# Playbook for the `{category}` category. Generated by scripts/gen-demo-city.py.\n\n"
            f"label_fr = {toml_value(label_fr)}\n"
            f"label_en = {toml_value(label_en)}\n"
            f"default_priority = {toml_value(priority)}\n"
            f"ack_delay_s = {ack_delay_s}\n"
        )
        for step_id, title_fr, title_en in steps:
            text += "\n" + toml_table("steps", {"id": step_id, "title_fr": title_fr, "title_en": title_en})
        (out / "playbooks" / f"{category}.toml").write_text(text, encoding="utf-8")

    (out / "README.md").write_text(readme(pack), encoding="utf-8")


def readme(pack):
    def counts(values):
        tally = {}
        for value in values:
            tally[value] = tally.get(value, 0) + 1
        return "\n".join(f"- `{key}`: {count}" for key, count in sorted(tally.items()))

    sensor_lines = counts(sensor["kind"] for sensor in pack.sensors)
    zone_lines = counts(zone["properties"]["kind"] for zone in pack.zones)
    categories = ", ".join(f"`{category}`" for category in PLAYBOOKS)
    return f"""# Demo city pack: Dijon Métropole

A city pack shaped like Dijon Métropole: its 23 real communes, six command posts under one
hypervisor, the Ouche and the Suzon with river gauges, public buildings with fire and
intrusion detectors, traffic and crowd counters, and {len(pack.cameras)} cameras.

The communes, the rivers, the roads and the buildings are real; their positions are
approximate. The sensors, the cameras, the units and their identifiers are invented: this
is demo data, not the metropolis' actual equipment.

Check it, with its rules, with `vigie city check cities/demo-metropole`. `vigie demo` runs
it with its embedded MQTT broker and the city simulator.

## Files

| file | what it holds |
|---|---|
| `city.toml` | `version = 1`, `name`, `timezone`, `center`; the 23 `[[communes]]`; the 6 `[[posts]]`; the `[[roles]]`; {len(pack.sensors)} `[[sensors]]`; {len(pack.cameras)} `[[cameras]]`; {len(pack.units)} `[[units]]`; the `[[routing]]` rules |
| `communes.geojson` | the boundary of each commune: `id` (INSEE code) and `name` |
| `zones.geojson` | rivers, riverside roads, main roads, event areas and public buildings: `id`, `name`, `kind`, `commune` |
| `playbooks/<category>.toml` | one per incident category ({categories}): `label_fr`, `label_en`, `default_priority` (`p1` to `p4`), `ack_delay_s` and the ordered `[[steps]]` (`id`, `title_fr`, `title_en`) |
| `rules/*.toml` | the 15 alarm rules, by theme: `flood.toml` (Ouche and Suzon above their levels, fast rise, heavy rain), `fire.toml` (smoke pre-alarm, abnormal heat, and a fire confirmed by smoke and heat in one building within 2 minutes), `intrusion.toml` (outside 07:00 to 20:00), `traffic.toml` (a jam at rush hour), `crowd.toml`, `air_quality.toml` (PM10, handled as `traffic`) and `sensor_fault.toml` (silent sensors, by kind) |
| `rules/tests/*.replay`, `rules/tests/*.expected` | recorded streams (`flood-ouche`, `fire-library`) and the alarms each must yield; `vigie rules test` replays them, and `cargo test` checks them |
| `devices.toml` | the devices of the embedded MQTT broker: `simulateur` (every sensor of the 23 communes) and `passerelle-ouche` (the 7 Ouche gauges), with argon2id hashes of secrets published in the README: demo only |

In `city.toml`:

- `[[communes]]`: `id` (INSEE code), `name`, approximate `population`.
- `[[posts]]`: the command posts, `id`, `name_fr`, `name_en`, `location = [lon, lat]`.
- `[[roles]]`: `id`, names and descriptions in French and English.
- `[[sensors]]`: `id`, `name`, `kind`, `unit`, `lon`, `lat`, `commune`, optional `zone` (the
  building, river, road or area it belongs to), `criticality` from 1 to 5, and
  `expected_period_s`, the longest expected silence before the sensor counts as lost.
- `[[cameras]]`: `id`, `name`, `lon`, `lat`, `heading_deg` (clockwise from north), `fov_deg`
  (360 for a dome), `range_m`, `commune`, optional `zone`, `stream_url`, `snapshot_url`.
- `[[units]]`: patrols and teams, `id`, `name`, `post`, `kind`, `home = [lon, lat]`.
- `[[routing]]`: `category`, `post`, optional `communes` and `zones`. For an incident, the
  first rule of its category whose lists (when given) contain the incident's commune and
  zone chooses the post; each category ends with a rule without lists that catches the rest.

Sensors by kind:

{sensor_lines}

Zones by kind:

{zone_lines}

Identifiers read like the city's: `cam-dijon-0001`, `gauge-ouche-01`,
`smoke-bibliotheque-01`, `traffic-rocade-lino-02`, `pm-dijon-01`.

## How it is generated

Every file here but `rules/` and `devices.toml`, which are written by hand, is written by
`scripts/gen-demo-city.py`, deterministically from its seed:

```sh
python3 scripts/gen-demo-city.py --seed 2026
```

The script reads the commune boundaries of Dijon Métropole from IGN GEOFLA 2016, as
published in {SOURCE_URL}. That data has 24 communes: Neuilly-lès-Dijon (21452) and
Crimolois (21213) merged in 2019 into Neuilly-Crimolois (21452), so the script dissolves
their common border into one commune. Buildings, event areas, rivers and roads are written
in the script at their approximate real positions, and each is checked to lie inside its
commune. Sensors are placed in their building, on their river or road, or at their
station; the cameras not tied to a building or an area are sampled (with rejection, inside
the commune's polygon) around real neighbourhoods, more densely in central Dijon, in
proportion to each commune's population. Edit the script and run it again rather than
editing these files.

## Attribution

Commune boundaries: {ATTRIBUTION}.
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cameras", type=int, default=269)
    args = parser.parse_args()
    source = args.source if args.source.is_absolute() else PROJECT_ROOT / args.source
    out = args.out if args.out.is_absolute() else PROJECT_ROOT / args.out
    if not source.exists():
        raise SystemExit(f"{args.source} not found; it comes from {SOURCE_URL}")

    pack = Pack(source, args.seed)
    pack.build_zones()
    pack.build_sensors()
    pack.build_cameras(args.cameras)
    pack.build_video_analytics()
    pack.build_units()
    for code, (name, _, centre) in COMMUNES.items():
        pack.check_inside(f"centre of {name}", code, centre)
    write_pack(pack, out)
    print(
        f"wrote {out.relative_to(PROJECT_ROOT) if out.is_relative_to(PROJECT_ROOT) else out}: "
        f"{len(COMMUNES)} communes, {len(pack.zones)} zones, {len(pack.sensors)} sensors, "
        f"{len(pack.cameras)} cameras, {len(pack.units)} units, {len(PLAYBOOKS)} playbooks"
    )


if __name__ == "__main__":
    main()
