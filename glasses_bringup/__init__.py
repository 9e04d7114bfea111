"""Hardware-facing side of glasses_stack: sensor drivers, simulated rig, power, bags, runner."""
