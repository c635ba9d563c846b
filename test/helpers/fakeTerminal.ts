import { Writable } from 'node:stream';

/** A stream that records what is written to it and claims to be a terminal (160 columns), for progress bars. */
export class FakeTerminal extends Writable {
  public readonly isTTY = true;
  public readonly columns = 160;
  public text = '';
  public override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}
