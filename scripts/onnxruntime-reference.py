#!/usr/bin/env python3
"""Inference-only frames/s of YOLOX-Nano under Python's ONNX Runtime: the reference rate that
`vigie bench vision` compares Vigie's end-to-end rate with, in the same run.

Reads one frame of the video through ffmpeg (raw BGR), letterboxes it as the model's contract
says (416×416, top-left, pad 114, raw 0–255, BGR), then times `session.run` alone, batch 1,
with ONNX Runtime's default threading (every core). Prints one JSON line.

Needs `onnxruntime` and `numpy` (`python3 scripts/fetch-assets.py --reference` installs them in
assets/.venv).
"""

import argparse
import json
import subprocess
import sys
import time


def read_frame(video, index, width, height):
    command = [
        "ffmpeg", "-v", "error", "-i", video,
        "-vf", f"select=eq(n\\,{index})", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "bgr24", "-",
    ]
    raw = subprocess.run(command, check=True, capture_output=True).stdout
    if len(raw) != width * height * 3:
        sys.exit(f"frame {index}: expected {width * height * 3} bytes from ffmpeg, got {len(raw)}")
    return raw


def letterbox(np, raw, width, height, size=416):
    image = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)
    ratio = min(size / width, size / height)
    new_w, new_h = int(width * ratio), int(height * ratio)
    rows = (np.arange(new_h) / ratio).astype(np.int64).clip(0, height - 1)
    cols = (np.arange(new_w) / ratio).astype(np.int64).clip(0, width - 1)
    padded = np.full((size, size, 3), 114, dtype=np.uint8)
    padded[:new_h, :new_w] = image[rows][:, cols]
    return padded.transpose(2, 0, 1)[None].astype(np.float32).copy()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--video", required=True)
    parser.add_argument("--frame", type=int, default=200)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--height", type=int, default=576)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as error:
        sys.exit(f"{error}: run `python3 scripts/fetch-assets.py --reference` to install the reference runtime")

    tensor = letterbox(np, read_frame(args.video, args.frame, args.width, args.height), args.width, args.height)
    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    for _ in range(20):
        session.run(None, {name: tensor})
    start = time.perf_counter()
    for _ in range(args.runs):
        session.run(None, {name: tensor})
    elapsed = time.perf_counter() - start
    print(json.dumps({
        "runtime": f"onnxruntime {ort.__version__} (Python {sys.version.split()[0]})",
        "runs": args.runs,
        "ms_per_frame": 1000 * elapsed / args.runs,
        "frames_per_s": args.runs / elapsed,
    }))


if __name__ == "__main__":
    main()
