package dev.peerid.sample.grpc;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code peerid.sample.v1.Identity/WhoAmI} of {@code src/main/proto/peerid/sample/v1/identity.proto},
 * with its two messages in protobuf's wire format written by hand: {@code WhoAmIRequest {}} and
 * {@code WhoAmIResponse { string json = 1; }}. Unknown fields are skipped, as protobuf does.
 */
final class IdentityProto {
  static final String SERVICE = "peerid.sample.v1.Identity";
  static final String WHO_AM_I = SERVICE + "/WhoAmI";

  /** {@code WhoAmIRequest {}}. */
  record WhoAmIRequest() {}

  /** {@code WhoAmIResponse { string json = 1; }}. */
  record WhoAmIResponse(String json) {}

  static final MethodDescriptor<WhoAmIRequest, WhoAmIResponse> WHO_AM_I_METHOD =
      MethodDescriptor.<WhoAmIRequest, WhoAmIResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(WHO_AM_I)
          .setRequestMarshaller(new Marshaller<>() {
            @Override
            byte[] encode(WhoAmIRequest value) {
              return new byte[0];
            }

            @Override
            WhoAmIRequest decode(byte[] bytes) {
              new Fields(bytes).skipAll();
              return new WhoAmIRequest();
            }
          })
          .setResponseMarshaller(new Marshaller<>() {
            @Override
            byte[] encode(WhoAmIResponse value) {
              return encodeResponse(value);
            }

            @Override
            WhoAmIResponse decode(byte[] bytes) {
              return decodeResponse(bytes);
            }
          })
          .build();

  private IdentityProto() {}

  static byte[] encodeResponse(WhoAmIResponse value) {
    byte[] json = value.json().getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(json.length + 6);
    out.write(0x0a); // field 1, wire type 2 (length-delimited)
    writeVarint(out, json.length);
    out.write(json, 0, json.length);
    return out.toByteArray();
  }

  static WhoAmIResponse decodeResponse(byte[] bytes) {
    Fields f = new Fields(bytes);
    String json = "";
    while (f.hasMore()) {
      long tag = f.varint();
      if (tag == 0x0a) {
        json = new String(f.lengthDelimited(), StandardCharsets.UTF_8);
      } else {
        f.skip(tag);
      }
    }
    return new WhoAmIResponse(json);
  }

  private static void writeVarint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7fL) != 0) {
      out.write((int) ((value & 0x7f) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  /** A reader of protobuf fields; malformed input is an {@link IllegalArgumentException}. */
  private static final class Fields {
    private final byte[] b;
    private int pos;

    Fields(byte[] b) {
      this.b = b;
    }

    boolean hasMore() {
      return pos < b.length;
    }

    void skipAll() {
      while (hasMore()) {
        skip(varint());
      }
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= b.length) {
          throw new IllegalArgumentException("truncated varint");
        }
        int x = b[pos++];
        v |= (long) (x & 0x7f) << shift;
        if ((x & 0x80) == 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("varint longer than 10 bytes");
    }

    byte[] lengthDelimited() {
      long n = varint();
      if (n < 0 || n > b.length - pos) {
        throw new IllegalArgumentException("length " + n + " past the end of the message");
      }
      byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + (int) n);
      pos += (int) n;
      return out;
    }

    void skip(long tag) {
      switch ((int) (tag & 7)) {
        case 0 -> varint();
        case 1 -> advance(8);
        case 2 -> lengthDelimited();
        case 5 -> advance(4);
        default -> throw new IllegalArgumentException("unsupported wire type " + (tag & 7));
      }
    }

    private void advance(int n) {
      if (n > b.length - pos) {
        throw new IllegalArgumentException("truncated field");
      }
      pos += n;
    }
  }

  /** gRPC's marshaller over whole messages (they are small: gRPC bounds them at 4 MiB by default). */
  private abstract static class Marshaller<T> implements MethodDescriptor.Marshaller<T> {
    abstract byte[] encode(T value);

    abstract T decode(byte[] bytes);

    @Override
    public InputStream stream(T value) {
      return new ByteArrayInputStream(encode(value));
    }

    @Override
    public T parse(InputStream stream) {
      try {
        return decode(stream.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (IllegalArgumentException e) {
        throw io.grpc.Status.INVALID_ARGUMENT.withDescription("malformed message: " + e.getMessage())
            .asRuntimeException();
      }
    }
  }
}
