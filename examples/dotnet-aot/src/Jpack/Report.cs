using System.IO.Compression;
using System.Text.Json.Serialization;

namespace Jpack;

/// <summary>What jpack prints for one input file. Everything except the compressed sizes is the same on every
/// architecture; the compressed sizes depend on the deflate implementation's SIMD paths.</summary>
public sealed record Report(
    string File,
    long Bytes,
    int Lines,
    int Words,
    string Crc32,
    long GzipBytes,
    long ZipBytes,
    bool RoundTrip);

/// <summary>Source-generated serializer: no reflection, so it works in a NativeAOT binary.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Report))]
internal sealed partial class ReportJson : JsonSerializerContext
{
}

public static class Packer
{
    /// <summary>Compresses <paramref name="data"/> as gzip and as a one-entry zip archive, reads both back and
    /// checks the round trip byte for byte.</summary>
    public static Report Analyze(string name, byte[] data)
    {
        byte[] gzip = Gzip(data);
        byte[] zip = Zip(name, data);
        bool roundTrip = Gunzip(gzip).AsSpan().SequenceEqual(data) && Unzip(zip, name).AsSpan().SequenceEqual(data);
        return new Report(
            File: name,
            Bytes: data.LongLength,
            Lines: CountLines(data),
            Words: CountWords(data),
            Crc32: Jpack.Crc32.Compute(data).ToString("x8"),
            GzipBytes: gzip.LongLength,
            ZipBytes: zip.LongLength,
            RoundTrip: roundTrip);
    }

    public static string ToJson(Report report) =>
        System.Text.Json.JsonSerializer.Serialize(report, ReportJson.Default.Report);

    public static Report? FromJson(string json) =>
        System.Text.Json.JsonSerializer.Deserialize(json, ReportJson.Default.Report);

    internal static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
            gz.Write(data);
        return output.ToArray();
    }

    internal static byte[] Gunzip(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    internal static byte[] Zip(string entryName, byte[] data)
    {
        using var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = archive.CreateEntry(entryName, CompressionLevel.Optimal);
            // A fixed timestamp: the archive's bytes must not depend on when it was made.
            entry.LastWriteTime = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
            using var stream = entry.Open();
            stream.Write(data);
        }
        return output.ToArray();
    }

    internal static byte[] Unzip(byte[] zip, string entryName)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        var entry = archive.GetEntry(entryName) ?? throw new InvalidDataException($"entry {entryName} missing");
        using var stream = entry.Open();
        using var output = new MemoryStream();
        stream.CopyTo(output);
        return output.ToArray();
    }

    internal static int CountLines(ReadOnlySpan<byte> data)
    {
        int lines = data.Count((byte)'\n');
        return data.Length > 0 && data[^1] != (byte)'\n' ? lines + 1 : lines;
    }

    internal static int CountWords(ReadOnlySpan<byte> data)
    {
        int words = 0;
        bool inWord = false;
        foreach (byte b in data)
        {
            bool space = b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f' or (byte)'\v';
            if (!space && !inWord) words++;
            inWord = !space;
        }
        return words;
    }
}
