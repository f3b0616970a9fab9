import { logMelSpectrogram } from '@polytask/extraction';
const sampleRate=16000, seconds=60;
let seed=12345; const random=()=>{seed=(seed*1103515245+12345)%2147483648; return seed/2147483648-0.5;};
const signal=Float32Array.from({length:sampleRate*seconds},(_,i)=>0.3*Math.sin(i*0.05)+0.1*random());
const options={sampleRate,fftSize:1024,hopLength:512,melBandCount:64};
for(let i=0;i<5;i++) logMelSpectrogram(signal,options);
const s=performance.now(); let n=0; while(performance.now()-s<4000){logMelSpectrogram(signal,options);n++;}
console.log(seconds/((performance.now()-s)/1000/n));
