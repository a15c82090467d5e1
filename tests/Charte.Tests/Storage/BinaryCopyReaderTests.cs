using System.Buffers.Binary;
using System.Text;

namespace Charte.Storage;

public class BinaryCopyReaderTests
{
    private static readonly byte[] Signature = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00];

    /// <summary>A COPY's output in PostgreSQL's binary format: rows of (bigint, text or NULL), with a header extension.</summary>
    private static byte[] Copy(IEnumerable<(long Id, string? Text)> rows, bool trailer = true)
    {
        var output = new MemoryStream();
        void Int(int value, int size)
        {
            Span<byte> bytes = stackalloc byte[size];
            if (size == 2)
            {
                BinaryPrimitives.WriteInt16BigEndian(bytes, (short)value);
            }
            else
            {
                BinaryPrimitives.WriteInt32BigEndian(bytes, value);
            }

            output.Write(bytes);
        }

        output.Write(Signature);
        Int(0, 4);
        Int(3, 4);
        output.Write("ext"u8);
        Span<byte> number = stackalloc byte[8];
        foreach (var (id, text) in rows)
        {
            Int(2, 2);
            Int(8, 4);
            BinaryPrimitives.WriteInt64BigEndian(number, id);
            output.Write(number);
            if (text is null)
            {
                Int(-1, 4);
            }
            else
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                Int(bytes.Length, 4);
                output.Write(bytes);
            }
        }

        if (trailer)
        {
            Int(-1, 2);
        }

        return output.ToArray();
    }

    private static readonly (long, string?)[] Rows =
    [
        (1, "plain"), (2, null), (3, ""), (long.MaxValue, new string('é', 5_000)), (-7, "dernière ligne"),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(64 * 1024)]
    public void EveryRow_IsReadWhole_WhateverTheBufferSize_NullsApart(int bufferSize)
    {
        var reader = new BinaryCopyReader(new MemoryStream(Copy(Rows)), 2, bufferSize);
        var read = new List<(long, string?)>();
        while (reader.Read())
        {
            read.Add((reader.Int64(0), reader.IsNull(1) ? null : Encoding.UTF8.GetString(reader.Field(1))));
        }

        Assert.Equal(Rows, read);
        Assert.False(reader.Read());
    }

    [Fact]
    public void AnOutputCutShort_IsAnError_NotAShorterTable()
    {
        var whole = Copy(Rows, trailer: false);
        var reader = new BinaryCopyReader(new MemoryStream(whole[..^3]), 2, 16);

        var error = Assert.Throws<EndOfStreamException>(() =>
        {
            while (reader.Read())
            {
            }
        });
        Assert.Equal("the COPY ended in the middle of a row", error.Message);
    }

    [Fact]
    public void AnotherFormat_OrAnotherNumberOfFields_IsRefused()
    {
        var text = new BinaryCopyReader(new MemoryStream("1\tplain\n\\.\n"u8.ToArray().Concat(new byte[32]).ToArray()), 2);
        Assert.Equal("the COPY's output is not in PostgreSQL's binary format", Assert.Throws<InvalidDataException>(() => text.Read()).Message);

        var three = new BinaryCopyReader(new MemoryStream(Copy(Rows)), 3);
        Assert.Equal("a row of the COPY has 2 fields where 3 were asked for", Assert.Throws<InvalidDataException>(() => three.Read()).Message);
    }
}
