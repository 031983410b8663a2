//! The boards: their devices, oscillators, pins and defaults, the PLL settings for a clock,
//! and each board's top module.
//!
//! The board tops are written as Verilog text rather than with the construction layer: they
//! instantiate a vendor primitive with parameters (SB_PLL40_PAD, EHXPLLL), which the layer
//! does not model, and hold only the clock, a power-on reset and the pins around
//! `board_core`. The pin files (`synth/boards/<board>.pcf|lpf`) live in the repository and a
//! test checks them against these tops' ports.

use super::core::CoreSpec;
use crate::chip::Config;

/// A supported board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Board {
    /// iCEBreaker: iCE40 UP5K (SG48), 12 MHz oscillator, FTDI UART, 128 KiB SPRAM.
    IceBreaker,
    /// ULX3S 85F: ECP5 LFE5U-85F (CABGA381), 25 MHz oscillator, FTDI UART.
    Ulx3s,
}

/// A board's FPGA family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Ice40,
    Ecp5,
}

/// A PLL's settings and the frequency they give.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pll {
    /// The oscillator drives the chip directly.
    None,
    /// SB_PLL40_PAD, simple feedback: fout = fin * (DIVF + 1) / ((DIVR + 1) * 2^DIVQ).
    Ice40 {
        divr: u32,
        divf: u32,
        divq: u32,
        filter_range: u32,
    },
    /// EHXPLLL, feedback from CLKOP: fout = fin * CLKFB_DIV / CLKI_DIV, VCO = fout * CLKOP_DIV.
    Ecp5 {
        clki_div: u32,
        clkfb_div: u32,
        clkop_div: u32,
    },
}

/// A board's fixed facts and defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoardInfo {
    pub name: &'static str,
    pub family: Family,
    /// nextpnr device and package.
    pub device: &'static str,
    pub package: &'static str,
    pub osc_hz: u64,
    /// Default chip clock and device memory.
    pub clock_hz: u64,
    pub memory_kib: u32,
    /// The pin file in `synth/boards/`.
    pub pin_file: &'static str,
}

impl Board {
    pub const ALL: [Board; 2] = [Board::IceBreaker, Board::Ulx3s];

    pub fn info(self) -> BoardInfo {
        match self {
            Board::IceBreaker => BoardInfo {
                name: "icebreaker",
                family: Family::Ice40,
                device: "up5k",
                package: "sg48",
                osc_hz: 12_000_000,
                clock_hz: 12_000_000,
                memory_kib: 64,
                pin_file: "icebreaker.pcf",
            },
            Board::Ulx3s => BoardInfo {
                name: "ulx3s",
                family: Family::Ecp5,
                device: "85k",
                package: "CABGA381",
                osc_hz: 25_000_000,
                clock_hz: 25_000_000,
                memory_kib: 64,
                pin_file: "ulx3s.lpf",
            },
        }
    }

    /// The top module's name.
    pub fn top(self) -> String {
        format!("board_{}", self.info().name)
    }

    /// The core's shape for `cfg` on this board: `[fpga]` overrides the board's defaults.
    pub fn core_spec(self, cfg: &Config) -> CoreSpec {
        let i = self.info();
        CoreSpec {
            mem_bytes: cfg.fpga.memory_kib.unwrap_or(i.memory_kib) * 1024,
            clock_hz: cfg.fpga.clock_khz.map_or(i.clock_hz, |k| k as u64 * 1000),
            baud: cfg.fpga.baud as u64,
        }
    }

    /// The PLL settings closest to `clock_hz`, and the frequency they give.
    pub fn pll(self, clock_hz: u64) -> Result<(Pll, u64), String> {
        let i = self.info();
        if clock_hz == i.osc_hz {
            return Ok((Pll::None, clock_hz));
        }
        let best = match i.family {
            Family::Ice40 => ice40_pll(i.osc_hz, clock_hz),
            Family::Ecp5 => ecp5_pll(i.osc_hz, clock_hz),
        };
        let (pll, f) = best.ok_or_else(|| {
            format!(
                "no {} PLL setting makes {} MHz from the {} MHz oscillator",
                i.name,
                clock_hz as f64 / 1e6,
                i.osc_hz as f64 / 1e6
            )
        })?;
        // Within 1%: a UART at the requested rate still works, and the report says the truth.
        if (f as f64 - clock_hz as f64).abs() > 0.01 * clock_hz as f64 {
            return Err(format!(
                "the {} PLL's closest frequency to {} MHz is {} MHz (more than 1% off)",
                i.name,
                clock_hz as f64 / 1e6,
                f as f64 / 1e6
            ));
        }
        Ok((pll, f))
    }

    /// The top module's Verilog: clock, power-on reset and pins around `board_core`.
    pub fn top_verilog(self, pll: Pll) -> String {
        match self {
            Board::IceBreaker => icebreaker_top(pll),
            Board::Ulx3s => ulx3s_top(pll),
        }
    }

    /// What the top's pins are (one list for the top's Verilog, the pin files' test and the
    /// simulations that drive the top).
    pub fn board_pins(self) -> BoardPins {
        match self {
            Board::IceBreaker => BoardPins {
                clock: "CLK",
                uart_rx: "RX",
                uart_tx: "TX",
                button: "BTN_N",
                button_active_low: true,
                leds: ["LEDR_N", "LEDG_N"],
            },
            Board::Ulx3s => BoardPins {
                clock: "clk_25mhz",
                uart_rx: "uart_rx",
                uart_tx: "uart_tx",
                button: "btn_fire1",
                button_active_low: false,
                leds: ["led_irq", "led_reset"],
            },
        }
    }

    /// The top's ports (name, is_input), as the pin file must place them.
    pub fn pins(self) -> Vec<(&'static str, bool)> {
        let p = self.board_pins();
        vec![
            (p.clock, true),
            (p.uart_rx, true),
            (p.uart_tx, false),
            (p.button, true),
            (p.leds[0], false),
            (p.leds[1], false),
        ]
    }
}

/// A board top's pins by role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoardPins {
    /// The oscillator's input.
    pub clock: &'static str,
    /// The host link: the FPGA receives on `uart_rx` and sends on `uart_tx`.
    pub uart_rx: &'static str,
    pub uart_tx: &'static str,
    /// The reset button; `button_active_low` when pressed reads 0.
    pub button: &'static str,
    pub button_active_low: bool,
    pub leds: [&'static str; 2],
}

impl std::str::FromStr for Board {
    type Err = String;
    fn from_str(s: &str) -> Result<Board, String> {
        Board::ALL
            .iter()
            .copied()
            .find(|b| b.info().name == s)
            .ok_or_else(|| format!("unknown board `{s}`; choose icebreaker or ulx3s"))
    }
}

/// icepll's search (simple feedback): PFD 10..133 MHz, VCO 533..1066 MHz, output 16..275 MHz.
fn ice40_pll(fin: u64, want: u64) -> Option<(Pll, u64)> {
    let mut best: Option<(Pll, u64)> = None;
    let fin_mhz = fin as f64 / 1e6;
    for divr in 0..16u32 {
        let pfd = fin_mhz / (divr + 1) as f64;
        if !(10.0..=133.0).contains(&pfd) {
            continue;
        }
        for divf in 0..128u32 {
            let vco = pfd * (divf + 1) as f64;
            if !(533.0..=1066.0).contains(&vco) {
                continue;
            }
            for divq in 1..7u32 {
                let out = vco / (1u32 << divq) as f64;
                if !(16.0..=275.0).contains(&out) {
                    continue;
                }
                let hz = (out * 1e6).round() as u64;
                if best.is_none_or(|(_, b)| hz.abs_diff(want) < b.abs_diff(want)) {
                    let filter_range = match pfd {
                        p if p < 17.0 => 1,
                        p if p < 26.0 => 2,
                        p if p < 44.0 => 3,
                        p if p < 66.0 => 4,
                        p if p < 101.0 => 5,
                        _ => 6,
                    };
                    best = Some((
                        Pll::Ice40 {
                            divr,
                            divf,
                            divq,
                            filter_range,
                        },
                        hz,
                    ));
                }
            }
        }
    }
    best
}

/// ecppll's search: PFD at least 3.125 MHz, VCO 400..800 MHz, output 3.125..400 MHz.
fn ecp5_pll(fin: u64, want: u64) -> Option<(Pll, u64)> {
    let mut best: Option<(Pll, u64)> = None;
    let fin_mhz = fin as f64 / 1e6;
    for clki_div in 1..=128u32 {
        let pfd = fin_mhz / clki_div as f64;
        if pfd < 3.125 {
            break;
        }
        for clkfb_div in 1..=80u32 {
            let out = pfd * clkfb_div as f64;
            if !(3.125..=400.0).contains(&out) {
                continue;
            }
            // The output divider putting the VCO nearest the middle of its range.
            let Some(clkop_div) = (1..=128u32)
                .filter(|d| (400.0..=800.0).contains(&(out * *d as f64)))
                .min_by_key(|d| ((out * *d as f64) - 600.0).abs() as u64)
            else {
                continue;
            };
            let hz = (out * 1e6).round() as u64;
            if best.is_none_or(|(_, b)| hz.abs_diff(want) < b.abs_diff(want)) {
                best = Some((
                    Pll::Ecp5 {
                        clki_div,
                        clkfb_div,
                        clkop_div,
                    },
                    hz,
                ));
            }
        }
    }
    best
}

/// The power-on reset and button synchroniser every top shares: reset for 16 cycles after
/// configuration (FPGA flip-flops start at their initial values) or PLL lock, and while the
/// button is held.
fn reset_logic(button_pressed: &str) -> String {
    format!(
        r#"    // Power-on reset: FPGA flip-flops start at their initial values after configuration.
    reg [3:0] por = 4'd0;
    reg [1:0] button = 2'b00;
    always @(posedge clk) begin
        button <= {{button[0], {button_pressed}}};
        if (!locked || button[1]) por <= 4'd0;
        else if (por != 4'hf) por <= por + 4'd1;
    end
    wire rst = por != 4'hf;
"#
    )
}

fn icebreaker_top(pll: Pll) -> String {
    let clock = match pll {
        Pll::Ice40 {
            divr,
            divf,
            divq,
            filter_range,
        } => format!(
            r#"    wire clk;
    wire locked;
    SB_PLL40_PAD #(
        .FEEDBACK_PATH("SIMPLE"),
        .DIVR(4'd{divr}),
        .DIVF(7'd{divf}),
        .DIVQ(3'd{divq}),
        .FILTER_RANGE(3'd{filter_range})
    ) pll (
        .PACKAGEPIN(CLK),
        .PLLOUTGLOBAL(clk),
        .LOCK(locked),
        .RESETB(1'b1),
        .BYPASS(1'b0)
    );
"#
        ),
        _ => "    wire clk = CLK;\n    wire locked = 1'b1;\n".to_string(),
    };
    format!(
        r#"// iCEBreaker board top (generated by seedchip): clock, power-on reset, pins, board_core.
module board_icebreaker (
    input  wire CLK,
    input  wire RX,
    output wire TX,
    input  wire BTN_N,
    output wire LEDR_N,
    output wire LEDG_N
);
{clock}{reset}    wire irq;
    board_core core (
        .clk(clk),
        .rst(rst),
        .uart_rx(RX),
        .uart_tx(TX),
        .irq(irq)
    );
    assign LEDG_N = ~irq;
    assign LEDR_N = ~rst;
endmodule
"#,
        reset = reset_logic("~BTN_N")
    )
}

fn ulx3s_top(pll: Pll) -> String {
    let clock = match pll {
        Pll::Ecp5 {
            clki_div,
            clkfb_div,
            clkop_div,
        } => format!(
            r#"    wire clk;
    wire locked;
    (* FREQUENCY_PIN_CLKI="25" *)
    EHXPLLL #(
        .PLLRST_ENA("DISABLED"),
        .INTFB_WAKE("DISABLED"),
        .STDBY_ENABLE("DISABLED"),
        .DPHASE_SOURCE("DISABLED"),
        .OUTDIVIDER_MUXA("DIVA"),
        .OUTDIVIDER_MUXB("DIVB"),
        .OUTDIVIDER_MUXC("DIVC"),
        .OUTDIVIDER_MUXD("DIVD"),
        .CLKI_DIV({clki_div}),
        .CLKOP_ENABLE("ENABLED"),
        .CLKOP_DIV({clkop_div}),
        .CLKOP_CPHASE({cphase}),
        .CLKOP_FPHASE(0),
        .FEEDBK_PATH("CLKOP"),
        .CLKFB_DIV({clkfb_div})
    ) pll (
        .RST(1'b0),
        .STDBY(1'b0),
        .CLKI(clk_25mhz),
        .CLKOP(clk),
        .CLKFB(clk),
        .CLKINTFB(),
        .PHASESEL0(1'b0),
        .PHASESEL1(1'b0),
        .PHASEDIR(1'b1),
        .PHASESTEP(1'b1),
        .PHASELOADREG(1'b1),
        .PLLWAKESYNC(1'b0),
        .ENCLKOP(1'b0),
        .LOCK(locked)
    );
"#,
            cphase = clkop_div - 1
        ),
        _ => "    wire clk = clk_25mhz;\n    wire locked = 1'b1;\n".to_string(),
    };
    format!(
        r#"// ULX3S board top (generated by seedchip): clock, power-on reset, pins, board_core.
module board_ulx3s (
    input  wire clk_25mhz,
    input  wire uart_rx,
    output wire uart_tx,
    input  wire btn_fire1,
    output wire led_irq,
    output wire led_reset
);
{clock}{reset}    wire irq;
    board_core core (
        .clk(clk),
        .rst(rst),
        .uart_rx(uart_rx),
        .uart_tx(uart_tx),
        .irq(irq)
    );
    assign led_irq = irq;
    assign led_reset = rst;
endmodule
"#,
        reset = reset_logic("btn_fire1")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plls_reach_their_targets_within_their_ranges() {
        let (p, f) = Board::IceBreaker.pll(24_000_000).unwrap();
        assert!(matches!(p, Pll::Ice40 { .. }));
        assert!(f.abs_diff(24_000_000) < 240_000, "{f}");
        let (p, f) = Board::Ulx3s.pll(50_000_000).unwrap();
        assert_eq!(
            p,
            Pll::Ecp5 {
                clki_div: 1,
                clkfb_div: 2,
                clkop_div: 12
            }
        );
        assert_eq!(f, 50_000_000);
        assert_eq!(Board::Ulx3s.pll(25_000_000).unwrap().0, Pll::None);
        assert!(Board::IceBreaker.pll(5_000_000).is_err());
    }
}
