using System.Buffers.Binary;

namespace Charte.Storage;

/// <summary>
/// The rows of a PostgreSQL <c>COPY … TO STDOUT (FORMAT binary)</c>, read from its raw stream: a header, then per row
/// the number of fields and each field as its length (-1 for NULL) and bytes, in the types' binary forms, then -1
/// (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"). A row's fields are spans of this reader's
/// buffer, valid until the next <see cref="Read"/>: nothing is copied or allocated per row, where a data reader goes
/// through its column machinery for every field.
/// </summary>
internal sealed class BinaryCopyReader(Stream stream, int fields, int bufferSize = 64 * 1024)
{
    /// <summary>"PGCOPY\n\377\r\n\0".</summary>
    private static ReadOnlySpan<byte> Signature => [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00];

    private readonly int[] _offsets = new int[fields];
    private readonly int[] _lengths = new int[fields];
    private byte[] _buffer = new byte[bufferSize];

    // The unread bytes are _buffer[_start.._end); the current row begins at _start and is _row bytes long.
    private int _start;
    private int _end;
    private int _row;
    private bool _begun;

    /// <summary>Moves to the next row; false after the last.</summary>
    public bool Read()
    {
        if (!_begun)
        {
            Header();
            _begun = true;
        }

        _start += _row;
        _row = 0;
        Need(2);
        var count = BinaryPrimitives.ReadInt16BigEndian(_buffer.AsSpan(_start));
        if (count == -1)
        {
            return false;
        }

        if (count != fields)
        {
            throw new InvalidDataException($"a row of the COPY has {count} fields where {fields} were asked for");
        }

        var at = 2;
        for (var i = 0; i < fields; i++)
        {
            Need(at + 4);
            var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + at));
            at += 4;
            if (length > 0)
            {
                Need(at + length);
            }

            (_offsets[i], _lengths[i]) = (at, length);
            at += Math.Max(length, 0);
        }

        _row = at;
        return true;
    }

    public bool IsNull(int field) => _lengths[field] < 0;

    /// <summary>The field's bytes (empty for NULL: ask <see cref="IsNull"/>).</summary>
    public ReadOnlySpan<byte> Field(int field) => _buffer.AsSpan(_start + _offsets[field], Math.Max(_lengths[field], 0));

    /// <summary>A <c>bigint</c> field.</summary>
    public long Int64(int field) => _lengths[field] == sizeof(long)
        ? BinaryPrimitives.ReadInt64BigEndian(Field(field))
        : throw new InvalidDataException($"field {field} of the COPY is not a bigint");

    private void Header()
    {
        Need(Signature.Length + 8);
        if (!_buffer.AsSpan(_start, Signature.Length).SequenceEqual(Signature))
        {
            throw new InvalidDataException("the COPY's output is not in PostgreSQL's binary format");
        }

        var extension = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + Signature.Length + 4));
        Need(Signature.Length + 8 + extension);
        _start += Signature.Length + 8 + extension;
    }

    /// <summary>Makes the first <paramref name="count"/> bytes from the start of the current row readable in the buffer.</summary>
    private void Need(int count)
    {
        if (_end - _start >= count)
        {
            return;
        }

        if (_start + count > _buffer.Length)
        {
            // Keep the current row, move it to the front, and grow the buffer if the row alone does not fit.
            var kept = _end - _start;
            var target = count > _buffer.Length ? new byte[Math.Max(count, _buffer.Length * 2)] : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, kept);
            (_buffer, _start, _end) = (target, 0, kept);
        }

        while (_end - _start < count)
        {
            var read = stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                throw new EndOfStreamException("the COPY ended in the middle of a row");
            }

            _end += read;
        }
    }
}
