import { logMelSpectrogram, loadFastFft } from '@polytask/extraction';
await loadFastFft();
const cfg={sampleRate:16000,fftSize:1024,hopLength:512,melBandCount:64};
let seed=12345; const random=()=>{seed=(seed*1103515245+12345)%2147483648; return seed/2147483648-0.5;};
const sig=Float32Array.from({length:cfg.sampleRate*60},(_,i)=>0.3*Math.sin(i*0.05)+0.1*random());
const m=(o)=>{const s=performance.now(); let n=0; while(performance.now()-s<700){logMelSpectrogram(sig,o);n++;} return (60*n/((performance.now()-s)/1000)).toFixed(0);};
const out=[]; for(let r=0;r<4;r++){ out.push(`d${m(cfg)} p${m({...cfg,fft:'pffft'})}`); }
console.log(process.env.POLYTASK_NATIVE_STFT ?? 'native', out.join(' '));
