"""Triton's own HTTP client (tritonclient[http]) against `cityops serve`,
used the way its documentation shows. Prints one JSON object of what it
got, for tests/triton.rs to check. Run: python3 triton_client.py HOST:PORT
"""
import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

url = sys.argv[1]
client = httpclient.InferenceServerClient(url)
out = {"server": client.get_server_metadata()}

ROWS = {
    "timestamp": ["2026-09-01T08:00:00-05:00", "2026-09-01T09:00:00-05:00"],
    "sensor_id": ["S01", "S02"],
    "road": ["Main St", "River Rd"],
    "latitude": [41.88, 41.89],
    "longitude": [-87.63, -87.62],
    "volume_veh_per_hour": [1200, 900],
    "speed_kmh": [42.5, 55.0],
    "occupancy_pct": [12.0, 8.5],
    "rain_mm": [0.0, 1.2],
}
NUMPY = {"BYTES": object, "FP64": np.float64, "FP32": np.float32, "INT64": np.int64}


def inputs(metadata, binary):
    made = []
    for spec in metadata["inputs"]:
        values = ROWS[spec["name"]]
        if spec["datatype"] == "BYTES":
            values = [v.encode() for v in values]
        array = np.array(values, dtype=NUMPY[spec["datatype"]])
        tensor = httpclient.InferInput(spec["name"], list(array.shape), spec["datatype"])
        tensor.set_data_from_numpy(array, binary_data=binary)
        made.append(tensor)
    return made


meta = client.get_model_metadata("incident_risk")
out["inputs"] = [i["name"] for i in meta["inputs"]]
# The client's defaults: binary inputs, binary outputs.
r = client.infer("incident_risk", inputs(meta, True))
out["default"] = {
    "probability": r.as_numpy("probability").tolist(),
    "label": [b.decode() for b in r.as_numpy("label").tolist()],
}
# Binary outputs asked for by name, JSON inputs.
r = client.infer(
    "incident_risk",
    inputs(meta, False),
    outputs=[httpclient.InferRequestedOutput("probability", binary_data=True)],
)
out["binary_output"] = r.as_numpy("probability").tolist()
# All JSON.
r = client.infer(
    "incident_risk",
    inputs(meta, False),
    outputs=[httpclient.InferRequestedOutput("probability", binary_data=False)],
)
out["json"] = r.as_numpy("probability").tolist()

# A recommender: BYTES users in, BYTES items and FP32 scores out.
users = np.array([b"R0001", b"R0002"], dtype=object)
user = httpclient.InferInput("user", [2], "BYTES")
user.set_data_from_numpy(users)
top = httpclient.InferInput("top", [1], "INT64")
top.set_data_from_numpy(np.array([3], dtype=np.int64))
r = client.infer("services", [user, top])
out["recommend"] = {
    "items": [[b.decode() for b in row] for row in r.as_numpy("items").tolist()],
    "scores": r.as_numpy("scores").tolist(),
}


def error_of(call):
    try:
        call()
    except InferenceServerException as e:
        return {"status": e.status(), "message": e.message()}
    return None


out["unknown_model"] = error_of(lambda: client.infer("no_such_model", inputs(meta, True)))
bad = httpclient.InferInput("latitude", [2, 2], "FP64")
bad.set_data_from_numpy(np.ones((2, 2)))
good = [t for t in inputs(meta, True) if t.name() != "latitude"]
out["bad_shape"] = error_of(lambda: client.infer("incident_risk", good + [bad]))
print(json.dumps(out))
