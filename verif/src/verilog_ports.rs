//! Which top-level ports of a Verilog design are declared `signed`: Verilator's model header
//! does not say (its port macros give only widths), and a simulator front end wants to
//! return negative numbers where the design means them.

use std::collections::HashSet;

/// The ports of module `top` declared `signed` in Verilog source: ANSI headers
/// (`input wire signed [7:0] a, b`) and body declarations (`input signed [7:0] a;`).
///
/// A small scanner rather than a Verilog parser: no crate parses Verilog-2005 port lists
/// (sv-parser does, at the price of a large dependency and SystemVerilog-only semantics), and
/// only the direction keyword, `signed` and the names matter here. Comments are skipped;
/// a declaration runs from `input`/`output`/`inout` to the next `;`, the header's closing
/// `)`, or the next direction keyword.
pub fn signed_ports(texts: &[String], top: &str) -> HashSet<String> {
    for text in texts {
        let tokens = tokenize(text);
        let mut i = 0;
        while i + 1 < tokens.len() {
            if tokens[i] == "module" && tokens[i + 1] == top {
                return scan_module(&tokens[i + 2..]);
            }
            i += 1;
        }
    }
    HashSet::new()
}

fn scan_module(tokens: &[String]) -> HashSet<String> {
    let mut signed_ports = HashSet::new();
    // In a declaration: whether it is signed.
    let mut decl: Option<bool> = None;
    let mut depth = 0i32;
    for t in tokens {
        match t.as_str() {
            "endmodule" => break,
            "input" | "output" | "inout" => decl = Some(false),
            "signed" if decl.is_some() => decl = Some(true),
            "[" => depth += 1,
            "]" => depth -= 1,
            ";" | ")" if depth == 0 => decl = None,
            "wire" | "reg" | "logic" | "var" | "unsigned" | "," => {}
            name if depth == 0 && decl == Some(true) && is_identifier(name) => {
                signed_ports.insert(name.to_string());
            }
            _ => {}
        }
    }
    signed_ports
}

fn is_identifier(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '\\')
}

/// Identifiers, numbers and single punctuation characters, comments removed.
fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '\\' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || "_$\\'".contains(chars[i]))
            {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_and_body_declarations() {
        let v = "// a comment: input signed x\nmodule t #(parameter W = 8) (\n  input wire clk,\n  input wire signed [W-1:0] a, b,\n  output reg [7:0] c, /* signed */\n  output signed [3:0] d\n);\n  input signed [1:0] e;\n  wire signed [3:0] f;\nendmodule\nmodule u(input signed g); endmodule\n";
        let s = signed_ports(&[v.to_string()], "t");
        let mut got: Vec<&str> = s.iter().map(|x| x.as_str()).collect();
        got.sort();
        assert_eq!(got, ["a", "b", "d", "e"]);
        assert!(signed_ports(&[v.to_string()], "v").is_empty());
    }
}
