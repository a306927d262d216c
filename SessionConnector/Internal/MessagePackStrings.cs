using System.Text;
using MessagePack;

namespace SessionConnector.Internal;

/// <summary>
/// Writes MessagePack strings without <c>MessagePackWriter.Write(string)</c>: in MessagePack 2.5 that method runs a
/// static constructor that calls <c>Type.GetType</c>, which pulls reflection and the type loader (about 0.3 MB) into
/// every NativeAOT binary. The generator emits the same helper into generated code.
/// </summary>
internal static class MessagePackStrings
{
    public static void Write(ref MessagePackWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        int byteCount = Encoding.UTF8.GetByteCount(value);
        writer.WriteStringHeader(byteCount);
        writer.Advance(Encoding.UTF8.GetBytes(value, writer.GetSpan(byteCount)));
    }
}
