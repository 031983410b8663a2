# seedchip static timing (OpenSTA), rendered by `seedchip synth --target sky130`.
read_liberty {{LIBERTY_TCL}}
{{READ_MACROS}}
read_verilog netlist.v
link_design {{TOP}}
read_sdc constraints.sdc
puts "==== seedchip: all paths"
report_checks -path_delay max -digits 3 -fields {net}
puts "==== seedchip: register to register"
report_checks -path_delay max -digits 3 -fields {net} -from [all_registers -clock_pins] -to [all_registers -data_pins]
puts "==== seedchip: summary"
report_wns
report_tns
exit
