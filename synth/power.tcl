# seedchip power (OpenSTA report_power), rendered by `seedchip synth --target sky130`.
# Typical corner, ideal clock (no clock tree), no wire load: the cells' internal, switching
# and leakage power at the clock the design achieves (its Fmax), for the activity below.
read_liberty {{LIBERTY_TCL}}
{{READ_MACROS}}
read_verilog netlist.v
link_design {{TOP}}
read_sdc constraints.sdc
create_clock -name clk -period {{PERIOD_NS}} [get_ports clk]
{{ACTIVITY}}
puts "==== seedchip: power"
report_power -digits 6
exit
