# seedchip timing constraints, rendered per configuration: one clock, ideal (no clock tree,
# no wire load); inputs arrive and outputs leave at the clock edge, as when the block's
# neighbours are registered.
create_clock -name clk -period {{CLOCK_NS}} [get_ports clk]
set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports clk]]
set_output_delay 0 -clock clk [all_outputs]
set_driving_cell -lib_cell sky130_fd_sc_hd__inv_2 [delete_from_list [all_inputs] [get_ports clk]]
set_load 0.01 [all_outputs]
