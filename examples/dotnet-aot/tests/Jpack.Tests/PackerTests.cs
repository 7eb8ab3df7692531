using System.Text;
using Jpack;

namespace Jpack.Tests;

public class PackerTests
{
    [Fact]
    public void Crc32MatchesTheStandardCheckValue()
    {
        // The check value every CRC-32/ISO-HDLC implementation gives for "123456789".
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32.Compute(ReadOnlySpan<byte>.Empty));
    }

    [Theory]
    [InlineData("", 0, 0)]
    [InlineData("one", 1, 1)]
    [InlineData("one two\n", 1, 2)]
    [InlineData("a\n\n  b c\t d\n", 3, 4)]
    public void CountsLinesAndWordsLikeWc(string text, int lines, int words)
    {
        byte[] data = Encoding.UTF8.GetBytes(text);
        Assert.Equal(lines, Packer.CountLines(data));
        Assert.Equal(words, Packer.CountWords(data));
    }

    [Fact]
    public void GzipAndZipRoundTripBinaryData()
    {
        var data = new byte[100_000];
        new Random(42).NextBytes(data.AsSpan(0, 50_000));
        Report report = Packer.Analyze("blob.bin", data);
        Assert.True(report.RoundTrip);
        Assert.Equal(100_000, report.Bytes);
        Assert.Equal(data, Packer.Gunzip(Packer.Gzip(data)));
        Assert.Equal(data, Packer.Unzip(Packer.Zip("blob.bin", data), "blob.bin"));
    }

    [Fact]
    public void ZipOfTheSameInputIsTheSameBytes()
    {
        byte[] data = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("kiln ", 1000)));
        Assert.Equal(Packer.Zip("a.txt", data), Packer.Zip("a.txt", data));
    }

    [Fact]
    public void ReportJsonIsCamelCaseAndReadsBack()
    {
        Report report = Packer.Analyze("s.txt", Encoding.UTF8.GetBytes("hello world\n"));
        string json = Packer.ToJson(report);
        Assert.Contains("\"crc32\": \"", json);
        Assert.Contains("\"roundTrip\": true", json);
        Assert.Equal(report, Packer.FromJson(json));
    }
}
