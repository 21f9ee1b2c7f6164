//! Frees the declared input and output shapes of an ONNX model, so that it runs on any input
//! size.
//!
//! CenterFace is exported with a fixed `10×3×32×32` input, and ONNX Runtime refuses inputs
//! that differ from a fixed declared shape, although the network itself is fully
//! convolutional. This rewrites the model's protobuf (ONNX's `onnx.proto`, field numbers
//! below) without decoding anything else:
//!
//! - graph inputs and outputs keep their element type but lose their shape;
//! - graph inputs that are also initializers (weights, listed as inputs by old exporters) are
//!   dropped from the inputs, so that they are constants the runtime can fold;
//! - the intermediate shape annotations (`value_info`), computed for the old size, are dropped.

use std::collections::HashSet;

// ModelProto
const MODEL_GRAPH: u64 = 7;
// GraphProto
const GRAPH_INITIALIZER: u64 = 5;
const GRAPH_INPUT: u64 = 11;
const GRAPH_OUTPUT: u64 = 12;
const GRAPH_VALUE_INFO: u64 = 13;
// TensorProto
const TENSOR_NAME: u64 = 8;
// ValueInfoProto
const VALUE_INFO_NAME: u64 = 1;
const VALUE_INFO_TYPE: u64 = 2;
// TypeProto
const TYPE_TENSOR: u64 = 1;
// TypeProto.Tensor
const TENSOR_TYPE_SHAPE: u64 = 2;

const WIRE_VARINT: u8 = 0;
const WIRE_FIXED64: u8 = 1;
const WIRE_LENGTH_DELIMITED: u8 = 2;
const WIRE_FIXED32: u8 = 5;

/// Returns the model with free input and output shapes; the error says what is malformed.
pub(crate) fn free_io_shapes(model: &[u8]) -> Result<Vec<u8>, String> {
    let mut rewritten = Vec::with_capacity(model.len());
    for field in fields(model)? {
        if field.number == MODEL_GRAPH && field.wire == WIRE_LENGTH_DELIMITED {
            write_length_delimited(&mut rewritten, MODEL_GRAPH, &rewrite_graph(field.payload)?);
        } else {
            rewritten.extend_from_slice(field.raw);
        }
    }
    Ok(rewritten)
}

fn rewrite_graph(graph: &[u8]) -> Result<Vec<u8>, String> {
    let graph_fields = fields(graph)?;
    let mut initializers = HashSet::new();
    for field in &graph_fields {
        if field.number == GRAPH_INITIALIZER
            && let Some(name) = string_field(field.payload, TENSOR_NAME)?
        {
            initializers.insert(name);
        }
    }
    let mut rewritten = Vec::with_capacity(graph.len());
    for field in &graph_fields {
        match field.number {
            GRAPH_INPUT => {
                let name = string_field(field.payload, VALUE_INFO_NAME)?;
                if name.is_some_and(|name| initializers.contains(&name)) {
                    continue;
                }
                write_length_delimited(&mut rewritten, GRAPH_INPUT, &without_shape(field.payload)?);
            }
            GRAPH_OUTPUT => write_length_delimited(&mut rewritten, GRAPH_OUTPUT, &without_shape(field.payload)?),
            GRAPH_VALUE_INFO => {}
            _ => rewritten.extend_from_slice(field.raw),
        }
    }
    Ok(rewritten)
}

/// Rewrites a `ValueInfoProto` without the shape of its tensor type.
fn without_shape(value_info: &[u8]) -> Result<Vec<u8>, String> {
    let mut rewritten = Vec::with_capacity(value_info.len());
    for field in fields(value_info)? {
        if field.number != VALUE_INFO_TYPE {
            rewritten.extend_from_slice(field.raw);
            continue;
        }
        let mut type_proto = Vec::with_capacity(field.payload.len());
        for type_field in fields(field.payload)? {
            if type_field.number != TYPE_TENSOR {
                type_proto.extend_from_slice(type_field.raw);
                continue;
            }
            let mut tensor_type = Vec::with_capacity(type_field.payload.len());
            for tensor_field in fields(type_field.payload)? {
                if tensor_field.number != TENSOR_TYPE_SHAPE {
                    tensor_type.extend_from_slice(tensor_field.raw);
                }
            }
            write_length_delimited(&mut type_proto, TYPE_TENSOR, &tensor_type);
        }
        write_length_delimited(&mut rewritten, VALUE_INFO_TYPE, &type_proto);
    }
    Ok(rewritten)
}

/// Returns the first string field `number` of a message, if any.
fn string_field(message: &[u8], number: u64) -> Result<Option<String>, String> {
    for field in fields(message)? {
        if field.number == number && field.wire == WIRE_LENGTH_DELIMITED {
            return Ok(Some(String::from_utf8_lossy(field.payload).into_owned()));
        }
    }
    Ok(None)
}

/// One field of a protobuf message.
struct Field<'a> {
    number: u64,
    wire: u8,
    /// The whole field as encoded: key, length and payload.
    raw: &'a [u8],
    /// The bytes of a length-delimited field (empty for the other wire types).
    payload: &'a [u8],
}

fn fields(message: &[u8]) -> Result<Vec<Field<'_>>, String> {
    let mut parsed = Vec::new();
    let mut position = 0;
    while position < message.len() {
        let start = position;
        let key = read_varint(message, &mut position)?;
        let number = key >> 3;
        let wire = (key & 0x7) as u8;
        let mut payload: &[u8] = &[];
        match wire {
            WIRE_VARINT => {
                read_varint(message, &mut position)?;
            }
            WIRE_FIXED64 => position += 8,
            WIRE_FIXED32 => position += 4,
            WIRE_LENGTH_DELIMITED => {
                let length = usize::try_from(read_varint(message, &mut position)?)
                    .map_err(|_| "field length does not fit in memory".to_string())?;
                let end = position.checked_add(length).ok_or("field length overflows")?;
                payload = message.get(position..end).ok_or("field runs past the end of the file")?;
                position = end;
            }
            other => return Err(format!("unsupported protobuf wire type {other} in field {number}")),
        }
        let raw = message.get(start..position).ok_or("field runs past the end of the file")?;
        parsed.push(Field { number, wire, raw, payload });
    }
    Ok(parsed)
}

fn read_varint(bytes: &[u8], position: &mut usize) -> Result<u64, String> {
    let mut value = 0_u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*position).ok_or("varint runs past the end of the file")?;
        *position += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint longer than 10 bytes".to_string())
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn write_length_delimited(out: &mut Vec<u8>, number: u64, payload: &[u8]) {
    write_varint(out, (number << 3) | u64::from(WIRE_LENGTH_DELIMITED));
    write_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(parts: &[(u64, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (number, payload) in parts {
            write_length_delimited(&mut out, *number, payload);
        }
        out
    }

    fn varint_field(number: u64, value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_varint(&mut out, number << 3);
        write_varint(&mut out, value);
        out
    }

    /// A `ValueInfoProto` for a float tensor named `name`, of the given dimensions or of no shape.
    fn value_info(name: &str, dims: Option<&[u64]>) -> Vec<u8> {
        let mut tensor_type = varint_field(1, 1);
        if let Some(dims) = dims {
            let dims: Vec<Vec<u8>> = dims.iter().map(|&dim| varint_field(1, dim)).collect();
            let shape_parts: Vec<(u64, &[u8])> = dims.iter().map(|dim| (1, dim.as_slice())).collect();
            tensor_type.extend(message(&[(TENSOR_TYPE_SHAPE, &message(&shape_parts))]));
        }
        let type_proto = message(&[(TYPE_TENSOR, &tensor_type)]);
        message(&[(VALUE_INFO_NAME, name.as_bytes()), (VALUE_INFO_TYPE, &type_proto)])
    }

    #[test]
    fn shapes_are_freed_and_initializers_leave_the_inputs() {
        let initializer = message(&[(TENSOR_NAME, b"weight")]);
        let node = message(&[(1, b"input.1"), (2, b"output")]);
        let graph = message(&[
            (1, &node),
            (GRAPH_INITIALIZER, &initializer),
            (GRAPH_INPUT, &value_info("input.1", Some(&[10, 3, 32, 32]))),
            (GRAPH_INPUT, &value_info("weight", Some(&[3]))),
            (GRAPH_OUTPUT, &value_info("output", Some(&[10, 1, 8, 8]))),
            (GRAPH_VALUE_INFO, &value_info("hidden", Some(&[10, 8, 16, 16]))),
        ]);
        let mut model = varint_field(1, 4);
        model.extend(message(&[(MODEL_GRAPH, &graph)]));

        let freed = free_io_shapes(&model).expect("a well-formed model");
        let model_fields = fields(&freed).expect("still well-formed");
        assert_eq!(model_fields[0].raw, varint_field(1, 4).as_slice());
        let graph_fields = fields(model_fields[1].payload).expect("a well-formed graph");
        let numbers: Vec<u64> = graph_fields.iter().map(|field| field.number).collect();
        assert_eq!(numbers, vec![1, GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_OUTPUT]);
        assert_eq!(graph_fields[0].payload, node.as_slice());
        assert_eq!(graph_fields[2].payload, value_info("input.1", None).as_slice());
        assert_eq!(graph_fields[3].payload, value_info("output", None).as_slice());
    }

    #[test]
    fn truncated_models_are_errors() {
        let graph = message(&[(GRAPH_INPUT, &value_info("input.1", Some(&[1, 3])))]);
        let model = message(&[(MODEL_GRAPH, &graph)]);
        assert!(free_io_shapes(&model[..model.len() - 3]).is_err());
        assert!(free_io_shapes(&[0x08, 0x80]).is_err());
        assert!(free_io_shapes(&[0x0b]).is_err(), "wire type 3 (groups) is not used by ONNX");
    }
}
