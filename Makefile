# glasses_stack: two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv and install ROS 2 (Kilted wheels from PyPI) and every dependency.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Every ROS process started from here keeps DDS discovery on loopback.
export ROS_AUTOMATIC_DISCOVERY_RANGE := LOCALHOST
export ROS_LOG_DIR ?= $(CURDIR)/out/ros_log

ROS_WHEELS := ros-rclpy==9.1.2 ros-rmw-fastrtps-cpp==9.3.3 \
	ros-sensor-msgs==5.5.1 ros-std-msgs==5.5.1 ros-geometry-msgs==5.5.1 \
	ros-diagnostic-msgs==5.5.1 ros-std-srvs==5.5.1 ros-rosgraph-msgs==2.3.0 \
	ros-lifecycle-msgs==2.3.0 ros-nav-msgs==5.5.1 ros-ament-index-python==1.11.0

# Debian packages the product needs (declared in package.xml too): espeak-ng speaks
# Chinese (and any language piper has no voice for), Noto Sans CJK draws Chinese on
# the HUD. Installed with apt-get when missing (sudo when not root).
SYSTEM_PACKAGES := espeak-ng fonts-noto-cjk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the product needs at run time (PortAudio: microphone and speaker drivers).
SYSTEM_LIBS := libportaudio.so.2:libportaudio2

BENCH ?=
DEMO_OUT ?= out/demo

.PHONY: venv system-packages demo test test-fast bench lint clean intents

venv: $(STAMP)

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): setup.py package.xml Makefile glasses_bringup/registry.py glasses_bringup/foundation/sensor_catalog.py | system-packages
	@for pair in $(SYSTEM_LIBS); do lib=$${pair%%:*}; pkg=$${pair##*:}; \
	  if ! ldconfig -p | grep -q "$$lib"; then \
	    echo "installing $$pkg (apt-get)"; \
	    (apt-get install -y -qq $$pkg || (apt-get update -qq && apt-get install -y -qq $$pkg)) >/dev/null \
	      || echo "warning: could not install $$pkg; the ALSA/PortAudio drivers will report it missing"; \
	  fi; done
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(ROS_WHEELS)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: system-packages $(STAMP)
	$(VENV)/bin/glasses demo --out $(DEMO_OUT)

test: system-packages $(STAMP)
	$(PY) -m pytest -q test

test-fast: system-packages $(STAMP)
	$(PY) -m pytest -q test -m "not slow"

# `make bench` runs every bench/*.py; `make bench BENCH=transport` runs one.
bench: system-packages $(STAMP)
	$(PY) bench/run.py $(BENCH)

# Intent model: expand the templates into the corpus and train (reproducible bit for bit).
intents: $(STAMP)
	$(PY) -m glasses_agent.intent_model build

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf out build install log *.egg-info
